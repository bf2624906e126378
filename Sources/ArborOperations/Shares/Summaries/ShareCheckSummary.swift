import ArborCustody

/// One share as `shares check` reports it: its line, set, index and thresholds, never its value.
public struct ShareCheckSummary: Codable, Sendable, Equatable {
    public let line: Int
    /// The set identifier in hex: shares of one split share it.
    public let set: String
    /// The share's x coordinate (Arbor) or its member index from 1 (SLIP-39).
    public let index: Int
    /// How many shares (Arbor) or members of its group (SLIP-39) are needed.
    public let threshold: Int
    /// SLIP-39 only: the share's group from 1, how many groups are needed, and how many there are.
    public let group: Int?
    public let groupThreshold: Int?
    public let groupCount: Int?

    /// One summary per line, in order.
    public static func of(_ shares: ParsedShares, lines: [ShareLine]) -> [ShareCheckSummary] {
        switch shares {
        case .arbor(let parsed):
            zip(lines, parsed).map { line, share in
                ShareCheckSummary(
                    line: line.line, set: String(share.setIdentifier, radix: 16).leftPadded(to: 8), index: Int(share.x),
                    threshold: share.threshold, group: nil, groupThreshold: nil, groupCount: nil)
            }
        case .slip39(let parsed):
            zip(lines, parsed).map { line, share in
                ShareCheckSummary(
                    line: line.line, set: String(share.identifier, radix: 16).leftPadded(to: 4), index: share.memberIndex + 1,
                    threshold: share.memberThreshold, group: share.groupIndex + 1, groupThreshold: share.groupThreshold,
                    groupCount: share.groupCount)
            }
        }
    }
}
