import ArborCore

/// What `root recover` did: where the re-encrypted root went (none with --check-only), and whether
/// it was checked against the root certificate.
public struct RootRecoverySummary: Codable, Sendable, Equatable {
    public let keyFile: String?
    public let rootKeyID: String
    /// True when checked against the root certificate (a mismatch is an error); none when not checked.
    public let matchesRootCertificate: Bool?

    public init(keyFile: String?, rootKeyID: KeyID, checkedAgainstCertificate: Bool) {
        self.keyFile = keyFile
        self.rootKeyID = rootKeyID.hex
        matchesRootCertificate = checkedAgainstCertificate ? true : nil
    }
}
