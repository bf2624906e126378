import Foundation
import Testing

@testable import ArborCore

/// The committed vector file `Vectors/cluster-grants.json` (docs/cluster.md, "Grants"): grant
/// records (kind 6) applied to a fresh reader, each step with the outcome it must have, as in
/// `cluster.json`. The sealed keyring inside is opaque at this layer (an age file only its holder
/// opens), so the value here is a stand-in; the rules checked are the key, the signature and who
/// may sign. Regenerate with `ARBOR_WRITE_VECTORS=1 swift test --filter ClusterGrantVectorTests`.
@Suite("Cluster grant vectors")
struct ClusterGrantVectorTests {
    typealias File = ClusterVectorGrantFile

    static let fileName = "cluster-grants.json"
    static let sealed = Array("age-encryption.org/v1 (a keyring sealed to the holder's X-Wing key)".utf8)

    static func make() throws -> File {
        let scenario = try ClusterScenario()
        let owner = try scenario.node("eu")
        let holder = try scenario.node("eu/node-7")
        let root = try scenario.node("/")
        let sibling = try scenario.node("us")
        func key(owner: String = "eu", holder: String = "eu/node-7") throws -> ClusterRecordKey {
            try .grant(owner: Fixtures.path(owner), name: "payments", holder: Fixtures.path(holder), cluster: scenario.cluster)
        }
        func step(_ key: ClusterRecordKey, at storedAt: String? = nil, _ record: [UInt8]?, _ expected: String) -> File.Step {
            File.Step(storedAt: storedAt ?? key.text, record: record.map(Hex.encode), expected: expected)
        }
        let grant = try key()
        let cases: [File.Case] = [
            File.Case(
                description: "a grant written by the keyring's owner",
                steps: [step(grant, try scenario.sign(grant, 1, sealed, by: owner), "valid")]),
            File.Case(
                description: "a grant written by the root, an ancestor of the owner",
                steps: [step(grant, try scenario.sign(grant, 1, sealed, by: root), "valid")]),
            File.Case(
                description: "a grant written by its holder, who does not own the keyring",
                steps: [step(grant, try scenario.sign(grant, 1, sealed, by: holder), "not authorised")]),
            File.Case(
                description: "a grant written by a node outside the owner's branch",
                steps: [step(grant, try scenario.sign(grant, 1, sealed, by: sibling), "not authorised")]),
            File.Case(
                description: "a grant that seals nothing",
                steps: [step(grant, try scenario.sign(grant, 1, [], by: owner), "malformed input")]),
            File.Case(
                description: "a grant copied under another holder's key",
                steps: [
                    step(
                        grant, at: try key(holder: "eu/node-8").text, try scenario.sign(grant, 1, sealed, by: owner), "conflict")
                ]),
            File.Case(
                description: "an older grant written back after a newer one",
                steps: [
                    step(grant, try scenario.sign(grant, 2, sealed, by: owner), "valid"),
                    step(grant, try scenario.sign(grant, 1, sealed, by: owner), "replayed"),
                ]),
            File.Case(
                description: "a grant deleted from etcd",
                steps: [step(grant, try scenario.sign(grant, 1, sealed, by: owner), "valid"), step(grant, nil, "rollback")]),
        ]
        return File(
            description:
                "Arbor grant records, kind 6 (docs/cluster.md, Grants). Apply each case's steps in order to a fresh reader that trusts root_certificate, at time; a step without a record deletes the key. Keys are grants/<keyring name>/<owner path>/<holder path>.",
            rootCertificate: Hex.encode(scenario.rootCertificate.encoded), time: Fixtures.now,
            keyText: grant.text, records: cases)
    }

    @Test("the committed grant records have their outcomes")
    func committed() throws {
        try Fixtures.writeVectorsIfAsked({ try Self.make() }, to: Self.fileName)
        let file = try Fixtures.loadVectors(File.self, from: Self.fileName)
        let anchor = try TrustAnchor(name: "home", rootCertificate: try KeyCertificate(encoded: try Hex.decode(file.rootCertificate)))
        #expect(file.keyText == "arbor/\(anchor.keyID.hex)/grants/payments/eu/eu/node-7")
        #expect(file.records.count == 8)
        for recordCase in file.records {
            let outcomes = try ClusterVectorReplay.outcomes(
                of: recordCase.steps.map { ($0.storedAt, $0.record) }, anchor: anchor, at: file.time)
            #expect(outcomes == recordCase.steps.map(\.expected), "\(recordCase.description)")
        }
    }

    @Test("a grant's key round-trips through the record's bytes, and the ledger lists it")
    func keyRoundTrip() throws {
        let scenario = try ClusterScenario()
        let key = try ClusterRecordKey.grant(
            owner: .root, name: "payments", holder: Fixtures.path("eu/node-7"), cluster: scenario.cluster)
        #expect(key.text == "arbor/\(scenario.cluster.hex)/grants/payments/./eu/node-7")
        let bytes = try scenario.sign(key, 1, Self.sealed, by: try scenario.node("/"))
        #expect(try ClusterRecord(encoded: bytes).key == key)
        var ledger = scenario.ledger()
        try ledger.apply(bytes, storedAt: key.text, at: Fixtures.now)
        #expect(ledger.grants == [key: Self.sealed])
        let restored = try ClusterLedger(root: scenario.anchor, snapshot: ledger.snapshot)
        #expect(restored.grants == [key: Self.sealed])
    }
}

/// `Vectors/cluster-grants.json`.
struct ClusterVectorGrantFile: Codable {
    struct Case: Codable {
        var description: String
        var steps: [Step]
    }

    struct Step: Codable {
        var storedAt: String
        /// Hex; absent for a deletion of the key.
        var record: String?
        var expected: String
    }

    var description: String
    var rootCertificate: String
    var time: Int64
    var keyText: String
    var records: [Case]
}
