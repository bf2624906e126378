import ArborCore
import ArborCustody

/// Takes shares one at a time (as a person types them) until enough are in, refusing, with a
/// reason that never echoes the share, any that does not parse, belongs to another set, or
/// repeats one already given. The terminal conversation is the caller's; the rules are here.
public struct ShareCollector {
    /// What one typed share did.
    public enum Step {
        /// Not taken; the caller shows the reason and asks again.
        case refused(String)
        /// Taken; `status` says how many more are needed.
        case accepted(status: String)
        /// Taken, and enough are in: the combined secret (the caller wipes it).
        case complete(status: String, secret: [UInt8])
    }

    public let slip39: Bool
    public let acceptsThresholdOne: Bool
    public let slip39Passphrase: String
    private var arbor = [ArborShare]()
    private var mnemonics = [SLIP39Share]()

    public init(slip39: Bool, acceptsThresholdOne: Bool, slip39Passphrase: String) {
        self.slip39 = slip39
        self.acceptsThresholdOne = acceptsThresholdOne
        self.slip39Passphrase = slip39Passphrase
    }

    /// Takes one typed share. Throws only what ends the collection: a threshold-1 share (unless
    /// accepted) or shares that do not combine.
    public mutating func add(_ text: String) throws -> Step {
        do {
            return slip39 ? try addMnemonic(try SLIP39Share(mnemonic: text)) : try addShare(try ArborShare(text: text))
        } catch let error as CustodyError {
            // The message names the fault (checksum, word, length) and never the share itself.
            return .refused("\(error.message); type it again")
        }
    }

    private mutating func addShare(_ share: ArborShare) throws -> Step {
        if share.threshold == 1, !acceptsThresholdOne { throw ThresholdOne.refusal(line: nil) }
        if let first = arbor.first, first.setIdentifier != share.setIdentifier || first.threshold != share.threshold {
            return .refused(
                "this share is from set \(Self.hex(share.setIdentifier)), not \(Self.hex(first.setIdentifier)) "
                    + "like the first one: it belongs to another split (old shares are not accepted); type a share of the current set")
        }
        if arbor.contains(where: { $0.x == share.x }) {
            return .refused("share x = \(share.x) was already given; type another holder's share")
        }
        arbor.append(share)
        let needed = share.threshold - arbor.count
        let status =
            "accepted share x = \(share.x) of set \(Self.hex(share.setIdentifier)); "
            + (needed > 0 ? "\(needed) more needed" : "that is enough")
        guard needed <= 0 else { return .accepted(status: status) }
        let shares = arbor
        return .complete(status: status, secret: try custody { try ArborShamir.combine(shares) })
    }

    private mutating func addMnemonic(_ share: SLIP39Share) throws -> Step {
        if share.recoversAlone, !acceptsThresholdOne { throw ThresholdOne.refusal(line: nil) }
        if let problem = Self.problem(adding: share, to: mnemonics) { return .refused(problem) }
        mnemonics.append(share)
        let (done, progress) = Self.progress(mnemonics)
        let status = "accepted. \(progress)"
        guard done else { return .accepted(status: status) }
        let chosen = Self.minimalSet(mnemonics)
        return .complete(status: status, secret: try custody { try SLIP39.combine(chosen, passphrase: slip39Passphrase) })
    }

    static func hex(_ identifier: UInt32) -> String { String(identifier, radix: 16).leftPadded(to: 8) }

    /// Why a mnemonic cannot join the ones already given, if it cannot.
    static func problem(adding share: SLIP39Share, to shares: [SLIP39Share]) -> String? {
        guard let first = shares.first else { return nil }
        if share.identifier != first.identifier || share.groupThreshold != first.groupThreshold || share.groupCount != first.groupCount
            || share.iterationExponent != first.iterationExponent || share.extendable != first.extendable
        {
            return
                "this mnemonic is from another backup (set \(String(share.identifier, radix: 16)), not \(String(first.identifier, radix: 16)))"
        }
        let group = shares.filter { $0.groupIndex == share.groupIndex }
        if group.contains(where: { $0.memberIndex == share.memberIndex }) {
            return "member \(share.memberIndex + 1) of group \(share.groupIndex + 1) was already given"
        }
        if let member = group.first, member.memberThreshold != share.memberThreshold {
            return "this mnemonic disagrees with group \(share.groupIndex + 1)'s threshold"
        }
        if group.count >= share.memberThreshold {
            return "group \(share.groupIndex + 1) is already complete; type a mnemonic of another group"
        }
        return nil
    }

    static func completeGroups(_ shares: [SLIP39Share]) -> [Int] {
        Set(shares.map(\.groupIndex)).sorted().filter { index in
            let group = shares.filter { $0.groupIndex == index }
            return group.count >= group[0].memberThreshold
        }
    }

    static func progress(_ shares: [SLIP39Share]) -> (done: Bool, status: String) {
        let needed = shares[0].groupThreshold
        let complete = completeGroups(shares)
        if complete.count >= needed { return (true, "that is enough") }
        var parts = ["\(complete.count) of \(needed) \(needed == 1 ? "group" : "groups") complete"]
        for index in Set(shares.map(\.groupIndex)).sorted() where !complete.contains(index) {
            let group = shares.filter { $0.groupIndex == index }
            parts.append("group \(index + 1) needs \(group[0].memberThreshold - group.count) more")
        }
        return (false, parts.joined(separator: "; "))
    }

    /// Exactly the complete groups SLIP-39 needs, as the spec's combine requires.
    static func minimalSet(_ shares: [SLIP39Share]) -> [SLIP39Share] {
        let chosen = completeGroups(shares).prefix(shares[0].groupThreshold)
        return shares.filter { chosen.contains($0.groupIndex) }
    }
}
