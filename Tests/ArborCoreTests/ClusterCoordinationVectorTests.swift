import Foundation
import Testing

@testable import ArborCore

/// `Vectors/cluster-coordination.json` (docs/cluster.md, "Test vectors for assignments and leaf ranges"): assignment and leaf-range values,
/// leaves record ids, and signed records applied to a fresh reader. Values are deterministic and
/// recomputed; records are signed with ML-DSA (randomised), so they are re-verified. Regenerate
/// with `ARBOR_WRITE_VECTORS=1 swift test --filter ClusterCoordinationVectorTests`.
@Suite("Cluster coordination vectors")
struct ClusterCoordinationVectorTests {
    struct File: Codable {
        var description: String
        var rootCertificate: String
        var time: Int64
        var assignmentValues: [Value]
        var leafRangeValues: [Value]
        var leavesIds: [LeavesID]
        var records: [ClusterVectorTests.RecordCase]
    }

    struct Value: Codable, Equatable {
        var description: String
        var value: String
        var expected: String
        /// For a valid assignment: branch → owner.
        var owners: [String: String]?
    }

    struct LeavesID: Codable, Equatable {
        var lmsPublicKey: String
        var id: String
        var storedAt: String
    }

    static let fileName = "cluster-coordination.json"

    static func outcome(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "valid"
        } catch let error as ArborError {
            return error.code.description
        } catch {
            return "\(error)"
        }
    }

    static func assignmentValues(_ scenario: ClusterCoordinationScenario) throws -> [Value] {
        try scenario.values().map { value in
            let owners = try? BranchAssignment(encoded: value.value).table.mapValues(\.description)
            return Value(description: value.description, value: Hex.encode(value.value), expected: value.expected, owners: owners)
        }
    }

    static func leafRangeValues(_ scenario: ClusterCoordinationScenario) throws -> [Value] {
        try scenario.leafValues().map { Value(description: $0.description, value: Hex.encode($0.value), expected: $0.expected) }
    }

    static func leavesIDs(_ scenario: ClusterCoordinationScenario) -> [LeavesID] {
        [ClusterCoordinationScenario.lmsPublicKey].map { key in
            LeavesID(
                lmsPublicKey: Hex.encode(key), id: Hex.encode(ClusterRecordKey.leavesID(lmsPublicKey: key)),
                storedAt: ClusterRecordKey.leaves(lmsPublicKey: key, cluster: scenario.base.cluster).text)
        }
    }

    static func make() throws -> File {
        let scenario = ClusterCoordinationScenario()
        return File(
            description:
                "Arbor branch assignment and leaf range values and records (docs/cluster.md, \"Branch assignment through etcd\" to \"Test vectors for assignments and leaf ranges\"). Parse each value and compare the outcome; apply each case's steps in order to a fresh reader that trusts root_certificate, at time; a step without a record deletes the key.",
            rootCertificate: Hex.encode(scenario.base.rootCertificate.encoded),
            time: Fixtures.now,
            assignmentValues: try assignmentValues(scenario),
            leafRangeValues: try leafRangeValues(scenario),
            leavesIds: leavesIDs(scenario),
            records: try scenario.cases().map { testCase in
                ClusterVectorTests.RecordCase(
                    description: testCase.description,
                    steps: testCase.steps.map {
                        ClusterVectorTests.Step(storedAt: $0.storedAt, record: $0.record.map(Hex.encode), expected: $0.expected)
                    })
            })
    }

    @Test("every value parses or is refused as its case says")
    func values() throws {
        let scenario = ClusterCoordinationScenario()
        for value in try scenario.values() {
            #expect(Self.outcome { _ = try BranchAssignment(encoded: value.value) } == value.expected, "\(value.description)")
        }
        for value in try scenario.leafValues() {
            #expect(Self.outcome { _ = try LeafRange(encoded: value.value) } == value.expected, "\(value.description)")
        }
    }

    @Test("every signed case has its outcomes")
    func cases() throws {
        let scenario = ClusterCoordinationScenario()
        for testCase in try scenario.cases() {
            #expect(scenario.base.run(testCase.steps) == testCase.steps.map(\.expected), "\(testCase.description)")
        }
    }

    @Test("the committed file: values recompute, records have their outcomes")
    func committed() throws {
        try Fixtures.writeVectorsIfAsked({ try Self.make() }, to: Self.fileName)
        let file = try Fixtures.loadVectors(File.self, from: Self.fileName)
        let scenario = ClusterCoordinationScenario()
        #expect(file.assignmentValues == (try Self.assignmentValues(scenario)))
        #expect(file.leafRangeValues == (try Self.leafRangeValues(scenario)))
        #expect(file.leavesIds == Self.leavesIDs(scenario))
        let anchor = try TrustAnchor(name: "home", rootCertificate: try KeyCertificate(encoded: try Hex.decode(file.rootCertificate)))
        #expect(file.records.count >= 10)
        for recordCase in file.records {
            var ledger = ClusterLedger(root: anchor)
            let outcomes = recordCase.steps.map { step in
                Self.outcome {
                    if let record = step.record {
                        try ledger.apply(try Hex.decode(record), storedAt: step.storedAt, at: file.time)
                    } else {
                        try ledger.applyDeletion(of: step.storedAt)
                    }
                }
            }
            #expect(outcomes == recordCase.steps.map(\.expected), "\(recordCase.description)")
        }
    }
}
