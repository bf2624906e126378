import ArborCore

/// What `audit verify` found: a valid log (an invalid one is an error), its signer, and how many
/// entries rest on the hash chain alone after the last signed head.
public struct AuditVerificationSummary: Codable, Sendable, Equatable {
    public let valid: Bool
    public let node: String
    public let cluster: String
    public let entries: Int
    public let heads: Int
    public let lastSequence: UInt64
    public let lastSignedSequence: UInt64
    public let unsignedEntries: Int

    public init(_ report: AuditChainVerifier.Report, signer: ChainVerifier.VerifiedChain) {
        valid = true
        node = signer.leaf.path.description
        cluster = signer.cluster
        entries = report.entries
        heads = report.heads
        lastSequence = report.lastSequence
        lastSignedSequence = report.lastSignedSequence
        unsignedEntries = report.unsignedEntries
    }
}
