import Foundation
import Testing

@testable import ArborCore

/// The committed vector file `Vectors/cluster.json` (specified in docs/cluster.md, "Test
/// vectors"): signed cluster records applied to a fresh reader, each step with the outcome it must
/// have, and rendezvous weights and owners. Records are signed with ML-DSA (randomised), so they
/// are re-verified, not rebuilt; weights and owners are recomputed. Regenerate with
/// `ARBOR_WRITE_VECTORS=1 swift test --filter ClusterVectorTests`.
@Suite("Cluster vectors")
struct ClusterVectorTests {
    struct File: Codable {
        var description: String
        var rootKey: String
        var rootCertificate: String
        var time: Int64
        var records: [RecordCase]
        var rendezvous: Rendezvous
    }

    struct RecordCase: Codable {
        var description: String
        var steps: [Step]
    }

    struct Step: Codable {
        var storedAt: String
        /// Hex; absent for a deletion of the key.
        var record: String?
        var expected: String
    }

    struct Rendezvous: Codable, Equatable {
        var members: [String]
        var branches: [String]
        var weights: [Weight]
        var owners: [String: String]
        var added: String
        var moves: [Move]
    }

    struct Weight: Codable, Equatable {
        var member: String
        var branch: String
        var weight: String
    }

    struct Move: Codable, Equatable {
        var branch: String
        var from: String
        var to: String
    }

    static let fileName = "cluster.json"

    static func make() throws -> File {
        let scenario = try ClusterScenario()
        let cases = try scenario.cases()
        return File(
            description:
                "Arbor cluster records and rendezvous assignment (docs/cluster.md). Apply each case's steps in order to a fresh reader that trusts root_certificate, at time; a step without a record deletes the key.",
            rootKey: Hex.encode(Fixtures.vectorRoot.secretBytes.withUnsafeBytes { Array($0) }),
            rootCertificate: Hex.encode(scenario.rootCertificate.encoded),
            time: Fixtures.now,
            records: cases.map { testCase in
                RecordCase(
                    description: testCase.description,
                    steps: testCase.steps.map { Step(storedAt: $0.storedAt, record: $0.record.map(Hex.encode), expected: $0.expected) })
            },
            rendezvous: rendezvous()
        )
    }

    static func rendezvous() -> Rendezvous {
        let members = ["/", "eu", "eu/node-7", "eu/node-7#1", "us/node-1"]
        let branches = (0..<8).map { "branch-\($0)" }
        let paths = Set(members.map(Fixtures.path))
        let added = "asia/node-2"
        return Rendezvous(
            members: members, branches: branches,
            weights: members.flatMap { member in
                branches.map { branch in
                    let weight = RendezvousAssignment.weight(member: Fixtures.path(member), branch: branch)
                    return Weight(member: member, branch: branch, weight: String(weight, radix: 16).leftPadded(to: 16))
                }
            },
            owners: RendezvousAssignment.assign(branches: branches, members: paths).mapValues(\.description),
            added: added,
            moves: RendezvousAssignment.moves(branches: branches, from: paths, to: paths.union([Fixtures.path(added)])).map {
                Move(branch: $0.branch, from: $0.from?.description ?? "", to: $0.to?.description ?? "")
            }
        )
    }

    @Test("the committed records have their outcomes, and the rendezvous values recompute")
    func committed() throws {
        try Fixtures.writeVectorsIfAsked({ try Self.make() }, to: Self.fileName)
        let file = try Fixtures.loadVectors(File.self, from: Self.fileName)
        let certificate = try KeyCertificate(encoded: try Hex.decode(file.rootCertificate))
        let anchor = try TrustAnchor(name: "home", rootCertificate: certificate)
        #expect(certificate.publicKeys == (try Fixtures.vectorRoot.node.keySet().publicKeys))
        #expect(file.records.count >= 20)
        for recordCase in file.records {
            let outcomes = try ClusterVectorReplay.outcomes(
                of: recordCase.steps.map { ($0.storedAt, $0.record) }, anchor: anchor, at: file.time)
            #expect(outcomes == recordCase.steps.map(\.expected), "\(recordCase.description)")
        }
        #expect(file.rendezvous == Self.rendezvous())
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
