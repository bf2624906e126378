import ArborCore
import ArborCustody

/// What a split makes, checked before any secret is read: `shares split` and `root split`.
public enum SplitPlan: Sendable {
    case arbor(threshold: Int, count: Int)
    case slip39(groupThreshold: Int, groups: [SLIP39.Group])

    /// The plan the caller's options describe: `--threshold`/`--shares`, or SLIP-39 `--groups`
    /// with `--group-threshold`.
    public init(threshold: Int?, shares: Int?, slip39: Bool, groups: String?, groupThreshold: Int?) throws {
        if let groups {
            guard slip39 else { throw ArborError(.invalidArgument, "--groups is a SLIP-39 feature; add --slip39") }
            guard threshold == nil, shares == nil else {
                throw ArborError(.invalidArgument, "give either --groups or --threshold/--shares, not both")
            }
            let parsed = try Self.parseGroups(groups)
            guard let groupThreshold = groupThreshold ?? (parsed.count == 1 ? 1 : nil) else {
                throw ArborError(.invalidArgument, "with several groups, say how many are needed: --group-threshold G")
            }
            self = .slip39(groupThreshold: groupThreshold, groups: parsed)
            return
        }
        guard let threshold, let shares else {
            throw ArborError(.invalidArgument, "say how many shares to make and how many recover the secret: --threshold T --shares N")
        }
        guard groupThreshold == nil else { throw ArborError(.invalidArgument, "--group-threshold needs --groups") }
        self =
            slip39
            ? .slip39(groupThreshold: 1, groups: [SLIP39.Group(memberThreshold: threshold, memberCount: shares)])
            : .arbor(threshold: threshold, count: shares)
    }

    public var isSLIP39: Bool {
        if case .slip39 = self { return true }
        return false
    }

    /// Whether one share alone recovers the secret: then anyone can forge a "share" of any secret.
    public var oneShareRecovers: Bool {
        switch self {
        case .arbor(let threshold, _): threshold == 1
        case .slip39(let groupThreshold, let groups): groupThreshold == 1 && groups.contains { $0.memberThreshold == 1 }
        }
    }

    /// Splits `secret`: one list of share texts per group (one group for Arbor shares). The SLIP-39
    /// passphrase (nil: none given) is refused for Arbor shares.
    public func split(_ secret: [UInt8], slip39Passphrase: String?, iterationExponent: Int, extendable: Bool) throws -> [[String]] {
        switch self {
        case .arbor(let threshold, let count):
            guard slip39Passphrase == nil else { throw ArborError(.invalidArgument, "a passphrase file is for SLIP-39: add --slip39") }
            return [try custody { try ArborShamir.split(secret: secret, threshold: threshold, shareCount: count).map(\.text) }]
        case .slip39(let groupThreshold, let groups):
            return try custody {
                try SLIP39.generateMnemonics(
                    masterSecret: secret, passphrase: slip39Passphrase ?? "", groupThreshold: groupThreshold, groups: groups,
                    iterationExponent: iterationExponent, extendable: extendable)
            }
        }
    }

    /// Recombines a minimal set from the front and one from the back (and, for Arbor shares, all)
    /// and compares each with `expected`, so a share set that would not recover it is never handed out.
    public func verifyRecombination(_ groups: [[String]], slip39Passphrase: String, expected: SecretBytes) throws {
        var subsets = [[String]]()
        switch self {
        case .arbor(let threshold, _):
            subsets = [Array(groups[0].prefix(threshold)), Array(groups[0].suffix(threshold)), groups[0]]
        case .slip39(let groupThreshold, let definitions):
            let indices = Array(definitions.indices)
            for chosen in [indices.prefix(groupThreshold), indices.suffix(groupThreshold)] {
                subsets.append(chosen.flatMap { Array(groups[$0].prefix(definitions[$0].memberThreshold)) })
                subsets.append(chosen.flatMap { Array(groups[$0].suffix(definitions[$0].memberThreshold)) })
            }
        }
        for subset in subsets {
            var recovered = try custody {
                isSLIP39
                    ? try SLIP39.combineMnemonics(subset, passphrase: slip39Passphrase) : try ArborShamir.combine(encodedShares: subset)
            }
            guard SecretBytes(consuming: &recovered) == expected else {
                throw ArborError(.invalidArgument, "the new shares did not recombine to the root; nothing was written: report this bug")
            }
        }
    }

    /// Parses `--groups "2of3,3of5"`.
    public static func parseGroups(_ text: String) throws -> [SLIP39.Group] {
        try text.split(separator: ",").map { item in
            let parts = String(item).trimmingWhitespace.lowercased().split(separator: "of", omittingEmptySubsequences: false)
            guard parts.count == 2, let threshold = Int(parts[0]), let count = Int(parts[1]) else {
                throw ArborError(.invalidArgument, "--groups takes a comma-separated list like 2of3,3of5, not '\(text)'")
            }
            return SLIP39.Group(memberThreshold: threshold, memberCount: count)
        }
    }
}
