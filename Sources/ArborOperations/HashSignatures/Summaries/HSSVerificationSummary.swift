/// What `hss verify` found: every signature valid (a bad one is an error), with the leaves used.
public struct HSSVerificationSummary: Codable, Sendable, Equatable {
    public let valid: Bool
    public let verified: Int
    public let leaves: [UInt32]

    public init(leaves: [UInt32]) {
        valid = true
        verified = leaves.count
        self.leaves = leaves
    }
}
