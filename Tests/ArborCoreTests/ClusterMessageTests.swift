import Foundation
import Testing

@testable import ArborCore

/// The pure parts of messages between nodes: the prekey bundle, the `prekeys` record kind and
/// who may write it, and the node message's parsing (docs/cluster.md, "Messages between nodes").
@Suite("Cluster messages")
struct ClusterMessageTests {
    let scenario: ClusterScenario
    init() throws { scenario = try ClusterScenario() }

    private func prekeys(_ ids: [UInt32]) throws -> [Prekey] { try ids.map { try PrekeySecret.generate(id: $0).prekey } }

    @Test func bundleRoundTripsAndRefusesBadIDs() throws {
        let bundle = try PrekeyBundle(prekeys: try prekeys([1, 2, 7]))
        #expect(try PrekeyBundle(encoded: bundle.encoded) == bundle)
        #expect(bundle.encoded.count == 2 + 3 * (4 + 1216))
        #expect(try PrekeyBundle(encoded: [0, 0]).prekeys.isEmpty)
        for ids: [UInt32] in [[0], [2, 1], [3, 3]] {
            #expect(throws: ArborError(.invalidArgument, "")) { try PrekeyBundle(prekeys: try prekeys(ids)) }
        }
        // The same, read from bytes: ids out of order, trailing bytes, a count past the limit, truncation.
        var swapped = try PrekeyBundle(prekeys: try prekeys([1])).encoded
        swapped[2...5] = [0, 0, 0, 0]
        for bad in [swapped, bundle.encoded + [0], [1, 1] + Array(bundle.encoded.dropFirst(2)), Array(bundle.encoded.dropLast())] {
            #expect(throws: ArborError(.malformedInput, "")) { try PrekeyBundle(encoded: bad) }
        }
    }

    @Test func prekeysRecordKeyHasItsKindAndText() throws {
        let key = ClusterRecordKey.prekeys(Fixtures.path("eu/node-2"), cluster: scenario.cluster)
        #expect(key.kind.rawValue == 7)
        #expect(key.text == "arbor/\(scenario.cluster.hex)/prekeys/eu/node-2")
        #expect(ClusterRecordKey.prekeys(.root, cluster: scenario.cluster).text.hasSuffix("/prekeys/."))
        let record = try ClusterRecord(
            encoded: try scenario.sign(key, 1, try PrekeyBundle(prekeys: []).encoded, by: try scenario.node("eu/node-2")))
        #expect(record.key == key)
    }

    @Test func onlyTheNodeItselfWithItsCurrentKeyPublishesItsPrekeys() throws {
        let key = ClusterRecordKey.prekeys(Fixtures.path("eu/node-2"), cluster: scenario.cluster)
        let value = try PrekeyBundle(prekeys: try prekeys([1, 2])).encoded
        let node = try scenario.node("eu/node-2")
        var ledger = scenario.ledger()
        try ledger.apply(try scenario.sign(key, 1, value, by: node), storedAt: key.text, at: Fixtures.now)
        #expect(ledger.prekeys[Fixtures.path("eu/node-2")]?.prekeys.map(\.id) == [1, 2])
        // The same sequence again is a replay; a parent or a sibling may not write it.
        #expect(throws: ArborError(.replayed, "")) {
            try ledger.apply(try scenario.sign(key, 1, value, by: node), storedAt: key.text, at: Fixtures.now)
        }
        for signer in ["eu", "eu/node-3", "/"] {
            #expect(throws: ArborError(.notAuthorised, "")) {
                var fresh = scenario.ledger()
                try fresh.apply(
                    try scenario.sign(key, 1, value, by: try scenario.node(signer)), storedAt: key.text, at: Fixtures.now)
            }
        }
        // Without the agree usage, a node receives nothing.
        let signOnly = try scenario.node("eu/node-2", usage: [.sign])
        #expect(throws: ArborError(.usageNotAllowed, "")) {
            var fresh = scenario.ledger()
            try fresh.apply(try scenario.sign(key, 1, value, by: signOnly), storedAt: key.text, at: Fixtures.now)
        }
        // Once the member record names a newer key, prekeys signed with the older one are refused.
        let rekeyed = try scenario.issuer.certify(Fixtures.path("eu/node-2"), epoch: 1, usage: .all, validity: Fixtures.validity)
        let memberKey = scenario.memberKey("eu/node-2")
        var current = scenario.ledger()
        try current.apply(
            try scenario.sign(memberKey, 1, try scenario.memberValue(rekeyed, address: "10.0.0.2:7443"), by: try scenario.node("eu")),
            storedAt: memberKey.text, at: Fixtures.now)
        #expect(throws: ArborError(.notAuthorised, "")) {
            try current.apply(try scenario.sign(key, 1, value, by: node), storedAt: key.text, at: Fixtures.now)
        }
        try current.apply(try scenario.sign(key, 1, value, by: rekeyed), storedAt: key.text, at: Fixtures.now)
    }

    @Test func messageParsingRefusesDamage() throws {
        let sender = try scenario.node("eu/node-1")
        let recipient = try scenario.node("eu/node-2")
        let message = try NodeMessage(
            cluster: scenario.cluster, recipient: recipient.secret.path, recipientKeyID: recipient.chain.leaf.keyID, prekeyID: 4,
            messageID: Array(repeating: 7, count: 16), time: Fixtures.now, ciphertext: [1, 2, 3], signer: try sender.secret.keySet(),
            chain: sender.chain)
        let parsed = try NodeMessage(encoded: message.encoded)
        #expect(parsed == message && parsed.sender == sender.secret.path && parsed.prekeyID == 4)
        #expect(try parsed.verify(root: scenario.anchor, revocations: RevocationList(), at: Fixtures.now).path == sender.secret.path)
        #expect(throws: ArborError(.malformedInput, "")) { try NodeMessage(encoded: message.encoded + [0]) }
        #expect(throws: ArborError(.malformedInput, "")) { try NodeMessage(encoded: Array(message.encoded.dropLast())) }
        var version = message.encoded
        version[4] = 2
        #expect(throws: ArborError(.unsupportedVersion, "")) { try NodeMessage(encoded: version) }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try NodeMessage(
                cluster: scenario.cluster, recipient: recipient.secret.path, recipientKeyID: recipient.chain.leaf.keyID, prekeyID: 0,
                messageID: [1], time: Fixtures.now, ciphertext: [], signer: try sender.secret.keySet(), chain: sender.chain)
        }
    }
}
