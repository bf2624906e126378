import ArborCustody

/// The shares `shares split` made: one group for Arbor shares, one per SLIP-39 group. They are
/// secret; this is the one result that carries them, because handing them out is its purpose.
public struct ShareSplitSummary: Codable, Sendable, Equatable {
    public struct Group: Codable, Sendable, Equatable {
        /// SLIP-39: how many of this group's mnemonics recover it; none for Arbor shares.
        public let memberThreshold: Int?
        public let shares: [String]
    }

    /// "arbor-share-v1" or "slip39".
    public let format: String
    /// SLIP-39: how many groups recover the secret; none for Arbor shares.
    public let groupThreshold: Int?
    public let groups: [Group]

    /// `groups` as `SplitPlan.split` returns them for `plan`.
    public init(groups: [[String]], plan: SplitPlan) {
        switch plan {
        case .arbor:
            format = "arbor-share-v1"
            groupThreshold = nil
            self.groups = [Group(memberThreshold: nil, shares: groups[0])]
        case .slip39(let groupThreshold, let definitions):
            format = "slip39"
            self.groupThreshold = groupThreshold
            self.groups = zip(definitions, groups).map { Group(memberThreshold: $0.memberThreshold, shares: $1) }
        }
    }
}
