import Testing

@testable import ArborCore

/// Branch assignment by rendezvous hashing (issue 11, point 8).
@Suite("Rendezvous assignment")
struct RendezvousAssignmentTests {
    static let branches = (0..<4096).map { "branch-\($0)" }

    static func members(_ count: Int) -> Set<TreePath> { Set((0..<count).map { Fixtures.path("eu/node-\($0)") }) }

    @Test("every branch has exactly one owner, a member, whatever order the members come in")
    func oneOwner() {
        let members = Self.members(5)
        let owners = RendezvousAssignment.assign(branches: Self.branches, members: members)
        #expect(owners.count == Self.branches.count)
        #expect(owners.values.allSatisfy { members.contains($0) })
        for branch in Self.branches.prefix(256) {
            #expect(RendezvousAssignment.owner(of: branch, among: members.sorted { $0.description > $1.description }) == owners[branch])
        }
        // Every member gets some: no member is starved at this size.
        #expect(Set(owners.values) == members)
    }

    @Test("adding one member to n moves about 1/(n+1) of the branches, all of them to the new member", arguments: [3, 5, 10])
    func adding(n: Int) {
        let old = Self.members(n)
        let newcomer = Fixtures.path("us/node-new")
        let moves = RendezvousAssignment.moves(branches: Self.branches, from: old, to: old.union([newcomer]))
        let share = Double(moves.count) / Double(Self.branches.count)
        let expected = 1.0 / Double(n + 1)
        #expect(share >= 0.5 * expected && share <= 1.5 * expected, "moved \(moves.count) of \(Self.branches.count)")
        #expect(moves.allSatisfy { move in move.to == newcomer && move.from.map { old.contains($0) } == true })
    }

    @Test("removing a member moves only its branches", arguments: [3, 5, 10])
    func removing(n: Int) {
        let old = Self.members(n + 1)
        let leaving = Fixtures.path("eu/node-0")
        let before = RendezvousAssignment.assign(branches: Self.branches, members: old)
        let moves = RendezvousAssignment.moves(branches: Self.branches, from: old, to: old.subtracting([leaving]))
        #expect(Set(moves.map(\.branch)) == Set(before.filter { $0.value == leaving }.keys))
        #expect(moves.allSatisfy { $0.from == leaving && $0.to != nil && $0.to != leaving })
    }

    @Test("equal weights go to the member whose path sorts first; no members, no owner")
    func edges() {
        #expect(RendezvousAssignment.owner(of: "branch-0", among: [TreePath]()) == nil)
        let one = Fixtures.path("eu")
        let (first, second) = (Fixtures.path("eu/a"), Fixtures.path("eu/b"))
        #expect(RendezvousAssignment.outranks(first, 5, second, 5))
        #expect(!RendezvousAssignment.outranks(second, 5, first, 5))
        #expect(RendezvousAssignment.outranks(second, 6, first, 5))
        #expect(!RendezvousAssignment.outranks(first, 5, second, 6))
        let moves = RendezvousAssignment.moves(branches: ["a"], from: [], to: [one])
        #expect(moves == [RendezvousAssignment.Move(branch: "a", from: nil, to: one)])
    }
}
