import ArborCore

/// What `root rekey` wrote: the new root key and certificate, and the transition to hand out.
public struct RootRekeySummary: Codable, Sendable, Equatable {
    public let keyFile: String
    public let certificateFile: String
    public let transitionFile: String
    public let oldRootKeyID: String
    public let rootKeyID: String
    /// The new root's: what trusted clusters confirm before they follow the transition.
    public let safetyNumber: SafetyNumberSummary

    public init(_ rekey: RootRekey, keyFile: String, certificateFile: String, transitionFile: String) {
        self.keyFile = keyFile
        self.certificateFile = certificateFile
        self.transitionFile = transitionFile
        oldRootKeyID = rekey.transition.oldRoot.keyID.hex
        rootKeyID = rekey.certificate.keyID.hex
        safetyNumber = SafetyNumberSummary(SafetyNumber(rootKeys: rekey.certificate.publicKeys))
    }
}
