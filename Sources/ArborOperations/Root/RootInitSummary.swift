import ArborCore

/// What `root init` wrote: the encrypted root key, its certificate, and the safety number to compare.
public struct RootInitSummary: Codable, Sendable, Equatable {
    public let keyFile: String
    public let certificateFile: String
    public let rootKeyID: String
    public let safetyNumber: SafetyNumberSummary

    public init(certificate: KeyCertificate, keyFile: String, certificateFile: String) {
        self.keyFile = keyFile
        self.certificateFile = certificateFile
        rootKeyID = certificate.keyID.hex
        safetyNumber = SafetyNumberSummary(SafetyNumber(rootKeys: certificate.publicKeys))
    }
}
