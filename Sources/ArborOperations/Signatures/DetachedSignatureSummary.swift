import ArborCore

/// What `sign --json` reports: who signed and when, and the signature itself when it went to no file.
public struct DetachedSignatureSummary: Codable, Sendable, Equatable {
    public let signer: String
    public let signerKeyID: String
    public let signedAt: String
    public let file: String?
    public let signature: String?

    public init(_ signature: DetachedSignature, signer: NodeKeySet, file: String?) {
        self.signer = signer.path.description
        signerKeyID = signer.keyID.hex
        signedAt = Timestamp.format(signature.time)
        self.file = file
        self.signature = file == nil ? signature.armored : nil
    }
}
