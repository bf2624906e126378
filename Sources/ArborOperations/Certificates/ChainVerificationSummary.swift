import ArborCore

/// What `cert verify` found: the chain is valid (an invalid one is an error), under which root.
public struct ChainVerificationSummary: Codable, Sendable, Equatable {
    public let valid: Bool
    public let anchor: String
    public let cluster: String
    public let rootKeyID: String
    public let leaf: CertificateSummary
    public let chain: [CertificateSummary]

    public init(_ verified: ChainVerifier.VerifiedChain) {
        valid = true
        anchor = verified.anchor.name
        cluster = verified.cluster
        rootKeyID = verified.anchor.keyID.hex
        leaf = CertificateSummary(verified.leaf)
        chain = verified.chain.certificates.map(CertificateSummary.init)
    }
}
