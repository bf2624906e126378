@testable import ArborCore

/// The assignment and leaf-range values and records of `Vectors/cluster-coordination.json`
/// (docs/cluster.md, "Branch assignment through etcd" and "Leaf ranges through etcd"): values that parse or are refused, and signed records applied to a
/// fresh reader, each with the outcome it must have.
struct ClusterCoordinationScenario {
    struct Value {
        var description: String
        var value: [UInt8]
        var expected: String
    }

    let base = try! ClusterScenario()
    static let members = ["eu/node-7", "eu/node-8", "us/node-1"]
    static let branches = (0..<8).map { "branch-\($0)" }
    /// An LMS public key's bytes, for the id of a leaves record (any 56 bytes name a counter).
    static let lmsPublicKey: [UInt8] = [0, 0, 0, 6, 0, 0, 0, 3] + (0..<16).map { UInt8($0) } + (0..<32).map { UInt8(0x80 + $0) }

    static func assignment(_ generation: UInt64, _ members: [String] = members) throws -> BranchAssignment {
        try BranchAssignment(generation: generation, members: Set(members.map(Fixtures.path)), branches: branches)
    }

    /// Encodes an assignment value by hand, with any owner indexes: for the refusals.
    static func encode(generation: UInt64, members: [String], owners: [(String, UInt16)]) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(Int64(bitPattern: generation))
        writer.append(UInt16(members.count))
        for member in members { Fixtures.path(member).encode(into: &writer) }
        writer.append(UInt32(owners.count))
        for (branch, index) in owners {
            writer.append(short: Array(branch.utf8))
            writer.append(index)
        }
        return writer.bytes
    }

    func values() throws -> [Value] {
        let good = try Self.assignment(3)
        let index = Dictionary(uniqueKeysWithValues: good.members.enumerated().map { ($1.description, UInt16($0)) })
        var skewed = good.owners.map { ($0.branch, index[$0.owner.description]!) }
        skewed[0].1 = (skewed[0].1 + 1) % 3
        let memberTexts = good.members.map(\.description)
        return [
            Value(description: "three members, eight branches, generation 3", value: good.encoded, expected: "valid"),
            Value(
                description: "no member and no branch", value: try BranchAssignment(generation: 1, members: [], branches: []).encoded,
                expected: "valid"),
            Value(
                description: "a table that gives a branch to another member than rendezvous hashing does",
                value: Self.encode(generation: 3, members: memberTexts, owners: skewed), expected: "conflict"),
            Value(
                description: "an owner index past the members",
                value: Self.encode(generation: 3, members: memberTexts, owners: [("branch-0", 3)]), expected: "malformed input"),
            Value(
                description: "generation 0",
                value: Self.encode(generation: 0, members: memberTexts, owners: []), expected: "malformed input"),
            Value(
                description: "members out of order",
                value: Self.encode(generation: 1, members: memberTexts.reversed(), owners: []), expected: "malformed input"),
            Value(
                description: "a branch twice",
                value: Self.encode(generation: 1, members: ["eu/node-7"], owners: [("b", 0), ("b", 0)]), expected: "malformed input"),
            Value(description: "trailing bytes", value: good.encoded + [0], expected: "malformed input"),
        ]
    }

    func leafValues() throws -> [Value] {
        let good = try LeafRange(holder: Fixtures.path("eu/node-7"), first: 40, next: 48)
        var empty = ByteWriter()
        Fixtures.path("eu/node-7").encode(into: &empty)
        empty.append(Int64(48))
        empty.append(Int64(48))
        return [
            Value(description: "eu/node-7 reserves leaves 40 to 47", value: good.encoded, expected: "valid"),
            Value(description: "an empty range", value: empty.bytes, expected: "malformed input"),
            Value(description: "truncated", value: Array(good.encoded.dropLast()), expected: "malformed input"),
        ]
    }

    func cases() throws -> [ClusterScenario.Case] {
        let node7 = try base.node("eu/node-7")
        let node8 = try base.node("eu/node-8")
        let assignments = ClusterRecordKey.assignments(cluster: base.cluster)
        let leaves = ClusterRecordKey.leaves(lmsPublicKey: Self.lmsPublicKey, cluster: base.cluster)
        func sign(_ key: ClusterRecordKey, _ sequence: UInt64, _ value: [UInt8], by node: ClusterScenario.Node) throws -> [UInt8] {
            try base.sign(key, sequence, value, by: node)
        }
        func range(_ holder: String, _ first: UInt64, _ next: UInt64) throws -> [UInt8] {
            try LeafRange(holder: Fixtures.path(holder), first: first, next: next).encoded
        }
        let generation1 = try sign(assignments, 1, try Self.assignment(1).encoded, by: node7)
        let generation2 = try sign(assignments, 2, try Self.assignment(2, ["eu/node-7", "eu/node-8"]).encoded, by: node8)
        let leaves7 = try sign(leaves, 1, try range("eu/node-7", 0, 16), by: node7)
        let leaves8 = try sign(leaves, 2, try range("eu/node-8", 16, 32), by: node8)
        let skewedValue = try values()[2].value
        typealias Case = ClusterScenario.Case
        let step = ClusterScenario.step
        return [
            Case(
                description: "a node agrees an assignment, another agrees the next generation",
                steps: [step(assignments, generation1, "valid"), step(assignments, generation2, "valid")]),
            Case(
                description: "an older assignment written back",
                steps: [
                    step(assignments, generation1, "valid"), step(assignments, generation2, "valid"),
                    step(assignments, generation1, "replayed"),
                ]),
            Case(
                description: "a signed assignment that lowers the generation (at a higher sequence)",
                steps: [
                    step(assignments, generation2, "valid"),
                    step(assignments, try sign(assignments, 3, try Self.assignment(1).encoded, by: node7), "rollback"),
                ]),
            Case(
                description: "a signed assignment that keeps the generation",
                steps: [
                    step(assignments, generation2, "valid"),
                    step(assignments, try sign(assignments, 3, try Self.assignment(2).encoded, by: node7), "rollback"),
                ]),
            Case(
                description: "a signed assignment whose table is not the rendezvous one",
                steps: [step(assignments, try sign(assignments, 1, skewedValue, by: node7), "conflict")]),
            Case(
                description: "the assignment deleted", steps: [step(assignments, generation1, "valid"), step(assignments, nil, "rollback")]
            ),
            Case(
                description: "two nodes reserve leaf ranges one after the other",
                steps: [step(leaves, leaves7, "valid"), step(leaves, leaves8, "valid")]),
            Case(
                description: "a signed leaves record that lowers the counter",
                steps: [
                    step(leaves, leaves8, "valid"),
                    step(leaves, try sign(leaves, 3, try range("eu/node-7", 8, 24), by: node7), "rollback"),
                ]),
            Case(
                description: "an older leaves record written back",
                steps: [step(leaves, leaves7, "valid"), step(leaves, leaves8, "valid"), step(leaves, leaves7, "replayed")]),
            Case(
                description: "a node reserving a range in another node's name",
                steps: [step(leaves, try sign(leaves, 1, try range("eu/node-8", 0, 16), by: node7), "not authorised")]),
            Case(description: "the leaves counter deleted", steps: [step(leaves, leaves7, "valid"), step(leaves, nil, "rollback")]),
            Case(
                description: "a leaves record copied to another key's place",
                steps: [
                    ClusterScenario.Step(
                        storedAt: ClusterRecordKey.leaves(lmsPublicKey: [1], cluster: base.cluster).text, record: leaves7,
                        expected: "conflict")
                ]),
        ]
    }
}
