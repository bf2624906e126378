import ArborTestSupport
import Testing

@testable import ArborCore

/// The assignments and leaves records' values and the ledger state they leave (docs/cluster.md, "Branch assignment through etcd" and "Leaf ranges through etcd").
@Suite("Branch assignment and leaf range records")
struct BranchAssignmentTests {
    static let scenario = ClusterCoordinationScenario()

    @Test("an assignment round-trips and its table is the rendezvous one")
    func roundTrip() throws {
        let members = Set(["eu/node-7", "us/node-1", "/", "eu"].map(Fixtures.path))
        let branches = (0..<300).map { "b\($0)" }
        let assignment = try BranchAssignment(generation: 7, members: members, branches: branches + branches)
        #expect(assignment.owners.count == 300)
        #expect(assignment.table == RendezvousAssignment.assign(branches: branches, members: members))
        #expect(assignment.members.map(\.description) == ["/", "eu", "eu/node-7", "us/node-1"])
        let decoded = try BranchAssignment(encoded: assignment.encoded)
        #expect(decoded == assignment)
        #expect(decoded.generation == 7)
        #expect(Set(members.flatMap { decoded.branches(of: $0) }).count == 300)
    }

    @Test("an assignment refuses what no agreement can hold")
    func refusals() throws {
        #expect(throws: ArborError.self) { try BranchAssignment(generation: 0, members: [], branches: []) }
        #expect(throws: ArborError.self) { try BranchAssignment(generation: 1, members: [], branches: ["a"]) }
        #expect(throws: ArborError.self) { try BranchAssignment(generation: 1, members: [Fixtures.path("eu")], branches: [""]) }
    }

    @Test("a leaf range round-trips; an empty one is refused")
    func leafRange() throws {
        let range = try LeafRange(holder: Fixtures.path("eu/node-7"), first: 5, next: 9)
        #expect(try LeafRange(encoded: range.encoded) == range)
        #expect(range.leaves == 5..<9)
        #expect(range.isFollowed(by: try LeafRange(holder: Fixtures.path("eu"), first: 9, next: 10)))
        #expect(!range.isFollowed(by: try LeafRange(holder: Fixtures.path("eu"), first: 8, next: 10)))
        #expect(throws: ArborError.self) { try LeafRange(holder: Fixtures.path("eu"), first: 3, next: 3) }
        #expect(ClusterRecordKey.leavesID(lmsPublicKey: [1, 2]).count == 16)
    }

    @Test("every truncation of a value is refused, and changed bytes are parsed or refused, never a crash")
    func mutations() throws {
        let values = [
            try ClusterCoordinationScenario.assignment(3).encoded,
            try LeafRange(holder: Fixtures.path("eu/node-7"), first: 1, next: 2).encoded,
        ]
        let parsers: [([UInt8]) throws -> Void] = [{ _ = try BranchAssignment(encoded: $0) }, { _ = try LeafRange(encoded: $0) }]
        var generator = SplitMix64.seeded(for: "assignment and leaf range mutations")
        for (value, parse) in zip(values, parsers) {
            for count in 0..<value.count {
                #expect(throws: ArborError.self) { try parse(Array(value.prefix(count))) }
            }
            for _ in 0..<2_000 {
                var bytes = value
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                do { try parse(bytes) } catch is ArborError {}  // any other error fails the test
            }
        }
    }

    @Test("the ledger holds the assignment and leaf ranges applied, and its snapshot keeps them")
    func ledgerState() throws {
        let base = Self.scenario.base
        let node7 = try base.node("eu/node-7")
        var ledger = base.ledger()
        let assignment = try ClusterCoordinationScenario.assignment(4)
        let leaves = ClusterRecordKey.leaves(lmsPublicKey: ClusterCoordinationScenario.lmsPublicKey, cluster: base.cluster)
        let range = try LeafRange(holder: Fixtures.path("eu/node-7"), first: 0, next: 10)
        try ledger.apply(
            try base.sign(.assignments(cluster: base.cluster), 1, assignment.encoded, by: node7),
            storedAt: ClusterRecordKey.assignments(cluster: base.cluster).text, at: Fixtures.now)
        try ledger.apply(try base.sign(leaves, 1, range.encoded, by: node7), storedAt: leaves.text, at: Fixtures.now)
        #expect(ledger.assignments == assignment)
        #expect(ledger.leafRanges[leaves] == range)
        let restored = try ClusterLedger(root: base.anchor, snapshot: ledger.snapshot)
        #expect(restored.assignments == assignment)
        #expect(restored.leafRanges[leaves] == range)
        #expect(
            leaves.text.hasSuffix(
                "/leaves/" + Hex.encode(ClusterRecordKey.leavesID(lmsPublicKey: ClusterCoordinationScenario.lmsPublicKey))))
    }
}
