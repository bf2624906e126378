import ArborCore

/// What `verify` found: a good signature (a bad one is an error), its signer and the signer's chain.
public struct SignatureVerificationSummary: Codable, Sendable, Equatable {
    public let valid: Bool
    public let signer: String
    public let signerKeyID: String
    public let signedAt: String
    public let anchor: String
    public let cluster: String
    public let rootKeyID: String
    public let chain: [CertificateSummary]

    public init(_ signature: DetachedSignature, verified: ChainVerifier.VerifiedChain) {
        valid = true
        signer = verified.leaf.path.description
        signerKeyID = verified.leaf.keyID.hex
        signedAt = Timestamp.format(signature.time)
        anchor = verified.anchor.name
        cluster = verified.cluster
        rootKeyID = verified.anchor.keyID.hex
        chain = verified.chain.certificates.map(CertificateSummary.init)
    }
}
