import Foundation
import Testing

@testable import ArborCore

/// Signed cluster records (issue 11, point 2): someone who can write to etcd but holds no
/// authorised key cannot add a member, lift a revocation, lower an epoch or swap a trust bundle.
@Suite("Cluster records")
struct ClusterRecordTests {
    static let scenario = try! ClusterScenario(root: .generate())

    @Test("every case, good write or attack, has the outcome it names")
    func cases() throws {
        let cases = try Self.scenario.cases()
        for testCase in cases {
            let outcomes = Self.scenario.run(testCase.steps)
            #expect(outcomes == testCase.steps.map(\.expected), "\(testCase.description)")
        }
        // Each attack of the issue ends in its own refusal.
        let refusals = Set(cases.compactMap { $0.steps.last?.expected }.filter { $0 != "valid" })
        #expect(
            refusals.isSuperset(of: [
                "malformed input", "invalid signature", "untrusted root", "not authorised", "replayed", "rollback", "conflict",
                "wrong cluster",
                "revoked", "usage not allowed",
            ]))
    }

    @Test("a reader holds the applied state: the newest address, the revocation, the raised epochs")
    func appliedState() throws {
        let scenario = Self.scenario
        let eu = try scenario.node("eu")
        let node7 = try scenario.node("eu/node-7")
        let node8 = try scenario.node("eu/node-8")
        var ledger = scenario.ledger()
        let key7 = scenario.memberKey("eu/node-7")
        try ledger.apply(
            try scenario.sign(key7, 1, try scenario.memberValue(node7, address: "a:1"), by: eu), storedAt: key7.text, at: Fixtures.now)
        try ledger.apply(
            try scenario.sign(key7, 5, try scenario.memberValue(node7, address: "b:2"), by: node7), storedAt: key7.text, at: Fixtures.now)
        #expect(ledger.members[Fixtures.path("eu/node-7")]?.addresses == ["b:2"])
        #expect(ledger.sequences[key7] == 5)

        let revocation = try Revocation(revoking: node8.chain.leaf, by: try eu.secret.keySet(), reason: .superseded, time: Fixtures.now)
        let revocationKey = ClusterRecordKey.revocation(revocation, cluster: scenario.cluster)
        try ledger.apply(try scenario.sign(revocationKey, 1, revocation.encoded, by: eu), storedAt: revocationKey.text, at: Fixtures.now)
        #expect(ledger.revocations.revocations == [revocation])
    }

    @Test("a lapsed lease removes a member, and its older record cannot bring it back")
    func memberDeletion() throws {
        let scenario = Self.scenario
        let eu = try scenario.node("eu")
        let node7 = try scenario.node("eu/node-7")
        var ledger = scenario.ledger()
        let key7 = scenario.memberKey("eu/node-7")
        let first = try scenario.sign(key7, 1, try scenario.memberValue(node7, address: "a:1"), by: eu)
        try ledger.apply(first, storedAt: key7.text, at: Fixtures.now)
        try ledger.applyDeletion(of: key7.text)
        #expect(ledger.members.isEmpty)
        #expect(throws: ArborError(.replayed, "")) { try ledger.apply(first, storedAt: key7.text, at: Fixtures.now) }
        try ledger.apply(
            try scenario.sign(key7, 2, try scenario.memberValue(node7, address: "a:1"), by: node7), storedAt: key7.text, at: Fixtures.now)
        #expect(ledger.members.count == 1)
        // A signed removal by the parent.
        try ledger.apply(try scenario.sign(key7, 3, [], by: eu), storedAt: key7.text, at: Fixtures.now)
        #expect(ledger.members.isEmpty)
    }

    @Test("a refused record changes nothing")
    func refusalLeavesStateAlone() throws {
        let scenario = Self.scenario
        let eu = try scenario.node("eu")
        var ledger = scenario.ledger()
        let keyring = try ClusterRecordKey.keyring(owner: Fixtures.path("eu"), name: "payments", cluster: scenario.cluster)
        try ledger.apply(
            try scenario.sign(keyring, 1, try scenario.keyringValue(active: 3, minimum: 2), by: eu), storedAt: keyring.text,
            at: Fixtures.now)
        #expect(throws: ArborError(.rollback, "")) {
            try ledger.apply(
                try scenario.sign(keyring, 9, try scenario.keyringValue(active: 3, minimum: 1), by: eu), storedAt: keyring.text,
                at: Fixtures.now)
        }
        #expect(ledger.keyrings[keyring] == (try KeyringMetadata(cipher: .chaCha20Poly1305, activeEpoch: 3, minimumEpoch: 2)))
        #expect(ledger.sequences[keyring] == 1)
    }

    @Test("records round-trip, and the etcd keys read as docs/cluster.md says")
    func encodingAndKeys() throws {
        let scenario = Self.scenario
        let eu = try scenario.node("eu")
        let key = scenario.memberKey("eu/node-7#2")
        let bytes = try scenario.sign(key, 42, [9, 9], by: eu)
        let record = try ClusterRecord(encoded: bytes)
        #expect(record.key == key && record.sequence == 42 && record.value == [9, 9] && record.encoded == bytes)
        let id = scenario.cluster.hex
        #expect(key.text == "arbor/\(id)/members/eu/node-7#2")
        #expect(scenario.memberKey("/").text == "arbor/\(id)/members/.")
        #expect(
            try ClusterRecordKey.keyring(owner: .root, name: "payments", cluster: scenario.cluster).text
                == "arbor/\(id)/keyrings/payments/.")
        #expect(try ClusterRecordKey.trust(clusterName: "partner", cluster: scenario.cluster).text == "arbor/\(id)/trust/partner")
        #expect(ClusterRecordKey.assignments(cluster: scenario.cluster).text == "arbor/\(id)/assignments")
        #expect(throws: ArborError(.malformedInput, "")) { try ClusterRecord(encoded: bytes + [0]) }
        #expect(throws: ArborError(.malformedInput, "")) { try ClusterRecord(encoded: Array(bytes.dropLast())) }
        var version = bytes
        version[4] = 2
        #expect(throws: ArborError(.unsupportedVersion, "")) { try ClusterRecord(encoded: version) }
    }

    @Test("a restored reader holds what it applied, and still refuses the replay")
    func snapshot() throws {
        let scenario = Self.scenario
        let eu = try scenario.node("eu")
        let node7 = try scenario.node("eu/node-7")
        let node8 = try scenario.node("eu/node-8")
        var ledger = scenario.ledger()
        let key7 = scenario.memberKey("eu/node-7")
        let key8 = scenario.memberKey("eu/node-8")
        let old7 = try scenario.sign(key7, 1, try scenario.memberValue(node7, address: "a:1"), by: eu)
        try ledger.apply(old7, storedAt: key7.text, at: Fixtures.now)
        try ledger.apply(
            try scenario.sign(key7, 2, try scenario.memberValue(node7, address: "b:2"), by: node7), storedAt: key7.text, at: Fixtures.now)
        let old8 = try scenario.sign(key8, 1, try scenario.memberValue(node8, address: "c:3"), by: eu)
        try ledger.apply(old8, storedAt: key8.text, at: Fixtures.now)
        try ledger.applyDeletion(of: key8.text)
        let keyring = try ClusterRecordKey.keyring(owner: Fixtures.path("eu"), name: "payments", cluster: scenario.cluster)
        let keyringRecord = try scenario.sign(keyring, 7, try scenario.keyringValue(active: 3, minimum: 2), by: eu)
        try ledger.apply(keyringRecord, storedAt: keyring.text, at: Fixtures.now)
        let revocation = try Revocation(
            revoking: try scenario.node("eu/node-9").chain.leaf, by: try eu.secret.keySet(), reason: .superseded, time: Fixtures.now)
        let revocationKey = ClusterRecordKey.revocation(revocation, cluster: scenario.cluster)
        try ledger.apply(try scenario.sign(revocationKey, 1, revocation.encoded, by: eu), storedAt: revocationKey.text, at: Fixtures.now)

        var restored = try ClusterLedger(root: scenario.anchor, snapshot: ledger.snapshot)
        #expect(restored.sequences == ledger.sequences)
        #expect(restored.members == ledger.members && restored.members.keys.map(\.description) == ["eu/node-7"])
        #expect(restored.keyrings == ledger.keyrings)
        #expect(restored.revocations == ledger.revocations)
        #expect(restored.departed == [key8])
        #expect(restored.snapshot == ledger.snapshot)
        #expect(throws: ArborError(.replayed, "")) { try restored.apply(old7, storedAt: key7.text, at: Fixtures.now) }
        #expect(throws: ArborError(.replayed, "")) { try restored.apply(old8, storedAt: key8.text, at: Fixtures.now) }
        #expect(throws: ArborError(.rollback, "")) { try restored.applyDeletion(of: revocationKey.text) }
        // A snapshot of another cluster's records is refused.
        let other = try ClusterScenario(root: .generate())
        #expect(throws: ArborError(.malformedInput, "")) { try ClusterLedger(root: other.anchor, snapshot: ledger.snapshot) }
    }
}
