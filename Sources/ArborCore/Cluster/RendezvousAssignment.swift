import Crypto

/// Which member owns which branch of the seed tree: rendezvous (highest-random-weight) hashing.
///
/// Every member gets a weight per branch from a hash of both; the branch goes to the heaviest.
/// Adding a member moves to it exactly the branches where it outweighs the owner (about 1/(n+1)
/// of them) and nothing else moves; removing one moves only its branches. Any two nodes with the
/// same member set compute the same owners without talking. docs/cluster.md, "Branch assignment".
public enum RendezvousAssignment {
    static let domain = "arbor/v1/rendezvous"

    /// A branch that changes owner between two memberships.
    public struct Move: Hashable, Sendable {
        public let branch: String
        /// Nil when no member owned it (the old membership was empty).
        public let from: TreePath?
        /// Nil when no member owns it (the new membership is empty).
        public let to: TreePath?
    }

    /// The first 8 bytes, big-endian, of SHA-256("arbor/v1/rendezvous" 0x00 ‖ u32 len ‖ member
    /// path text ‖ u32 len ‖ branch id), the path in its canonical text form (`/` for the root).
    public static func weight(member: TreePath, branch: String) -> UInt64 {
        var writer = ByteWriter()
        writer.append(raw: Array(domain.utf8))
        writer.append(UInt8(0))
        writer.append(long: Array(member.description.utf8))
        writer.append(long: Array(branch.utf8))
        return SHA256.hash(data: writer.bytes).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The member with the highest weight for the branch; on equal weights, the member whose path
    /// text sorts first bytewise. Nil for an empty membership.
    public static func owner(of branch: String, among members: some Sequence<TreePath>) -> TreePath? {
        var best: (member: TreePath, weight: UInt64)?
        for member in members {
            let weight = weight(member: member, branch: branch)
            if let current = best, !outranks(member, weight, current.member, current.weight) { continue }
            best = (member, weight)
        }
        return best?.member
    }

    /// The higher weight wins; on equal weights, the path whose canonical text sorts first bytewise.
    static func outranks(_ member: TreePath, _ weight: UInt64, _ other: TreePath, _ otherWeight: UInt64) -> Bool {
        if weight != otherWeight { return weight > otherWeight }
        return Array(member.description.utf8).lexicographicallyPrecedes(Array(other.description.utf8))
    }

    /// Every branch's owner (none when there are no members).
    public static func assign(branches: some Sequence<String>, members: Set<TreePath>) -> [String: TreePath] {
        var owners: [String: TreePath] = [:]
        for branch in branches { owners[branch] = owner(of: branch, among: members) }
        return owners
    }

    /// The branches whose owner differs between two memberships, sorted by branch.
    public static func moves(branches: some Sequence<String>, from old: Set<TreePath>, to new: Set<TreePath>) -> [Move] {
        var moves: [Move] = []
        for branch in Set(branches) {
            let before = owner(of: branch, among: old)
            let after = owner(of: branch, among: new)
            if before != after { moves.append(Move(branch: branch, from: before, to: after)) }
        }
        return moves.sorted { Array($0.branch.utf8).lexicographicallyPrecedes(Array($1.branch.utf8)) }
    }
}
