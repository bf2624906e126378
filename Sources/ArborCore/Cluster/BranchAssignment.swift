/// The value of the `assignments` record: which member owns which branch of the seed tree, as
/// agreed by the cluster at one generation (docs/cluster.md, "Branch assignment through etcd").
///
/// The owners are the rendezvous owners (``RendezvousAssignment``) of the member set the value
/// names, and a reader recomputes them: a member that signs a table giving itself more branches
/// than the hash gives it is refused (`conflict`), so any node may write the assignment without
/// being able to skew it. The generation only grows (``ClusterLedger`` refuses a lower one as
/// `rollback`), so an old assignment written back cannot hand branches back to a departed member.
public struct BranchAssignment: Sendable, Equatable {
    public static let maximumMembers = 4096
    public static let maximumBranches = 1 << 16

    /// Counts the agreements: each new assignment has a higher one than the one it replaces.
    public let generation: UInt64
    /// The member set the owners were computed for, sorted by path text bytewise.
    public let members: [TreePath]
    /// Every branch and its owner, sorted by branch id bytewise.
    public let owners: [(branch: String, owner: TreePath)]

    /// The rendezvous assignment of `branches` among `members`, at `generation` (1 or more).
    public init(generation: UInt64, members: Set<TreePath>, branches: some Sequence<String>) throws {
        guard generation >= 1 else { throw ArborError(.invalidArgument, "an assignment's generation starts at 1") }
        guard members.count <= Self.maximumMembers else {
            throw ArborError(.limitExceeded, "an assignment names at most \(Self.maximumMembers) members")
        }
        let sortedBranches = Set(branches).sorted(by: Self.precedes)
        guard sortedBranches.count <= Self.maximumBranches else {
            throw ArborError(.limitExceeded, "an assignment holds at most \(Self.maximumBranches) branches")
        }
        guard !members.isEmpty || sortedBranches.isEmpty else {
            throw ArborError(.invalidArgument, "an assignment with branches needs at least one member to own them")
        }
        for branch in sortedBranches where !(1...255).contains(branch.utf8.count) {
            throw ArborError(.invalidArgument, "a branch id has 1 to 255 bytes")
        }
        self.generation = generation
        self.members = members.sorted { Self.precedes($0.description, $1.description) }
        owners = sortedBranches.map { ($0, RendezvousAssignment.owner(of: $0, among: members)!) }
    }

    /// The owner of each branch, as a dictionary.
    public var table: [String: TreePath] { Dictionary(uniqueKeysWithValues: owners.map { ($0.branch, $0.owner) }) }

    /// The branches `member` owns, sorted.
    public func branches(of member: TreePath) -> [String] { owners.filter { $0.owner == member }.map(\.branch) }

    public static func == (lhs: BranchAssignment, rhs: BranchAssignment) -> Bool {
        lhs.generation == rhs.generation && lhs.members == rhs.members
            && lhs.owners.elementsEqual(rhs.owners) { $0.branch == $1.branch && $0.owner == $1.owner }
    }

    static func precedes(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }

    // MARK: Encoding

    /// u64 generation ‖ u16 m ‖ m paths (binary form) ‖ u32 b ‖ b × (branch id as a short field ‖
    /// u16 index of its owner among the members).
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(Int64(bitPattern: generation))
        writer.append(UInt16(members.count))
        for member in members { member.encode(into: &writer) }
        writer.append(UInt32(owners.count))
        let index = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1, UInt16($0)) })
        for (branch, owner) in owners {
            writer.append(short: Array(branch.utf8))
            writer.append(index[owner]!)
        }
        return writer.bytes
    }

    /// Parses and checks a value: members and branches strictly sorted (so each appears once),
    /// every owner index names a member (`malformed input` otherwise), and every owner is the
    /// rendezvous owner among the members (`conflict` otherwise: a skewed table).
    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "an assignments record")
        let generation = UInt64(bitPattern: try reader.readInt64())
        let memberCount = Int(try reader.readUInt16())
        guard generation >= 1, memberCount <= Self.maximumMembers else {
            throw ArborError.malformed("an assignments record has generation 0 or too many members")
        }
        var members: [TreePath] = []
        for _ in 0..<memberCount {
            let member = try TreePath.decode(from: &reader)
            if let last = members.last, !Self.precedes(last.description, member.description) {
                throw ArborError.malformed("an assignments record's members are not sorted, or one appears twice")
            }
            members.append(member)
        }
        let branchCount = Int(try reader.readUInt32())
        guard branchCount <= Self.maximumBranches else { throw ArborError.malformed("an assignments record holds too many branches") }
        var branches: [String] = []
        var claimed: [(String, TreePath)] = []
        for _ in 0..<branchCount {
            let raw = try reader.readShortField()
            guard !raw.isEmpty, let branch = String(validating: raw, as: UTF8.self) else {
                throw ArborError.malformed("an assignments record holds an empty or non-UTF-8 branch id")
            }
            if let last = branches.last, !Self.precedes(last, branch) {
                throw ArborError.malformed("an assignments record's branches are not sorted, or one appears twice")
            }
            let index = Int(try reader.readUInt16())
            guard index < members.count else {
                throw ArborError.malformed("an assignments record gives branch '\(branch)' to a member it does not list")
            }
            branches.append(branch)
            claimed.append((branch, members[index]))
        }
        try reader.expectEnd()
        try self.init(generation: generation, members: Set(members), branches: branches)
        for ((branch, owner), computed) in zip(claimed, owners) where owner != computed.owner {
            throw ArborError(
                .conflict,
                "the assignment gives branch '\(branch)' to \(owner), but rendezvous hashing gives it to \(computed.owner): a skewed table")
        }
    }
}
