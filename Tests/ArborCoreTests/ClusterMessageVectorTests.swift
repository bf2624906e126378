import ArborSeal
import Crypto
import Foundation
import Testing

@testable import ArborCore

/// The committed vector file `Vectors/cluster-messages.json` (docs/cluster.md, "Messages between
/// nodes", "Test vectors"): prekey records checked by a fresh reader, and node messages opened in
/// order by one receiver that holds the listed prekey secrets, each with the outcome it must have.
/// Everything signed is re-verified, not rebuilt (ML-DSA signing is randomised). Regenerate with
/// `ARBOR_WRITE_VECTORS=1 swift test --filter ClusterMessageVectorTests`.
@Suite("Cluster message vectors")
struct ClusterMessageVectorTests {
    struct File: Codable {
        var description: String
        var rootKey: String
        var rootCertificate: String
        var time: Int64
        var maximumAge: Int64
        var recipient: String
        var prekeySecrets: [PrekeySeed]
        var revocations: String
        var prekeyRecords: [Step]
        var messages: [Step]
    }

    struct PrekeySeed: Codable {
        var id: UInt32
        var seed: String
    }

    struct Step: Codable {
        var description: String
        var storedAt: String?
        var bytes: String
        var expected: String
        /// The opened payload (hex), for a valid message.
        var payload: String?
    }

    static let fileName = "cluster-messages.json"
    static let maximumAge: Int64 = 30 * 86_400

    /// A receiver as docs/cluster.md describes it, written from the document: it holds the
    /// recipient's secret, its prekey secrets and the ids it opened.
    struct Receiver {
        let anchor: TrustAnchor
        let keys: NodeKeySet
        let revocations: RevocationList
        let time: Int64
        var prekeys: [UInt32: PrekeySecret]
        var opened: Set<[UInt8]> = []

        mutating func open(_ bytes: [UInt8]) throws -> [UInt8] {
            let message = try NodeMessage(encoded: bytes)
            _ = try message.verify(root: anchor, revocations: revocations, at: time)
            guard message.recipient == keys.path, message.recipientKeyID == keys.keyID else {
                throw ArborError(.noMatchingKey, "not for this node")
            }
            guard message.time <= time + 300, time - message.time <= ClusterMessageVectorTests.maximumAge else {
                throw ArborError(.replayed, "outside the window")
            }
            guard !opened.contains(message.messageID) else { throw ArborError(.replayed, "opened already") }
            let identity: AgeIdentity
            if message.prekeyID == 0 {
                identity = .postQuantum(keys.pqAgreement)
            } else {
                guard let prekey = prekeys[message.prekeyID] else { throw ArborError(.noMatchingKey, "prekey not held") }
                identity = .postQuantum(prekey.privateKey)
            }
            let inner = try NodeMessagePayload(encoded: try Age.decrypt(message.ciphertext, identities: [identity]))
            try inner.check(against: message)
            opened.insert(message.messageID)
            prekeys[message.prekeyID] = nil
            return inner.payload
        }
    }

    static func seed(_ id: UInt32) -> SecretBytes { SecretBytes(copying: (0..<32).map { UInt8(truncatingIfNeeded: Int(id) * 32 + $0) }) }

    static func make() throws -> File {
        let scenario = try ClusterScenario()
        let cluster = scenario.cluster
        let time = Fixtures.now
        let recipient = try scenario.node("eu/node-2")
        let sender = try scenario.node("eu/node-1")
        let other = try scenario.node("eu/node-3")
        let revoked = try scenario.node("us/node-9")
        let stranger = try ClusterScenario(root: RootKey(secret: SymmetricKey(data: (32..<64).map { UInt8($0) }))).node("eu/node-1")
        let recipientKeys = try recipient.secret.keySet()
        let prekeys = try (1...3).map { try PrekeySecret(id: UInt32($0), seed: seed(UInt32($0))) }
        let bundle = try PrekeyBundle(prekeys: prekeys.map(\.prekey))
        let revocation = try Revocation(
            revoking: revoked.chain.leaf, by: try scenario.node("us").secret.keySet(), reason: .keyCompromise, time: time)

        let recordKey = ClusterRecordKey.prekeys(recipient.secret.path, cluster: cluster)
        func record(by signer: ClusterScenario.Node, _ value: [UInt8] = bundle.encoded) throws -> [UInt8] {
            try scenario.sign(recordKey, 1, value, by: signer)
        }
        let prekeyRecords = [
            Step(
                description: "the recipient's own prekeys", storedAt: recordKey.text, bytes: Hex.encode(try record(by: recipient)),
                expected: "valid"),
            Step(
                description: "the bundle written without a record (unsigned)", storedAt: recordKey.text, bytes: Hex.encode(bundle.encoded),
                expected: "malformed input"),
            Step(
                description: "prekeys for the recipient signed by another node", storedAt: recordKey.text,
                bytes: Hex.encode(try record(by: sender)), expected: "not authorised"),
            Step(
                description: "prekeys for the recipient signed by its parent", storedAt: recordKey.text,
                bytes: Hex.encode(try record(by: try scenario.node("eu"))), expected: "not authorised"),
        ]

        func seal(
            _ text: String, from node: ClusterScenario.Node, to recipientPath: TreePath = recipient.secret.path, prekey: UInt32 = 1,
            innerSender: KeyID? = nil, cluster sealCluster: KeyID = cluster, at sealTime: Int64 = time
        ) throws -> NodeMessage {
            let keys = try node.secret.keySet()
            let id = Array(SHA256.hash(data: Array(text.utf8)).prefix(16))
            let inner = NodeMessagePayload(senderKeyID: innerSender ?? keys.keyID, messageID: id, payload: Array(text.utf8))
            let key: XWingMLKEM768X25519.PublicKey =
                prekey == 0 ? recipientKeys.pqAgreement.publicKey : prekeys[Int(prekey) - 1].privateKey.publicKey
            return try NodeMessage(
                cluster: sealCluster, recipient: recipientPath, recipientKeyID: recipientKeys.keyID, prekeyID: prekey, messageID: id,
                time: sealTime, ciphertext: try Age.encrypt(inner.encoded, to: [.postQuantum(key)]), signer: keys, chain: node.chain)
        }
        let first = try seal("to prekey 1", from: sender)
        var tampered = first.encoded
        tampered[200] ^= 0x01  // inside the sealed file
        let otherKeys = try other.secret.keySet()
        // The ciphertext of `first`, re-signed by another node as its own: the sealed sender gives it away.
        let victim = try seal("re-signed", from: sender, prekey: 2)
        let resigned = try NodeMessage(
            cluster: cluster, recipient: recipient.secret.path, recipientKeyID: recipientKeys.keyID, prekeyID: 2,
            messageID: victim.messageID, time: time, ciphertext: victim.ciphertext, signer: otherKeys, chain: other.chain)
        func step(_ description: String, _ message: NodeMessage, _ expected: String, payload: String? = nil) -> Step {
            Step(
                description: description, storedAt: nil, bytes: Hex.encode(message.encoded), expected: expected,
                payload: payload.map { Hex.encode(Array($0.utf8)) })
        }
        let messages = [
            step("sealed to prekey 1", first, "valid", payload: "to prekey 1"),
            step("the same message again", first, "replayed"),
            step("another message sealed to prekey 1, whose secret is gone", try seal("prekey 1 again", from: sender), "no matching key"),
            step(
                "sealed to the recipient's own X-Wing key (prekey 0)", try seal("to the node key", from: sender, prekey: 0), "valid",
                payload: "to the node key"),
            step("for another node", try seal("for node-3", from: sender, to: other.secret.path, prekey: 3), "no matching key"),
            Step(
                description: "a byte of the sealed file changed", storedAt: nil, bytes: Hex.encode(tampered), expected: "invalid signature"),
            step(
                "signed by a key of another tree calling itself eu/node-1", try seal("forged", from: stranger, prekey: 3), "untrusted root"),
            step("from a revoked node", try seal("revoked", from: revoked, prekey: 3), "revoked"),
            step("another message's ciphertext re-signed by eu/node-3 as its own", resigned, "authentication failed"),
            step(
                "made for another cluster", try seal("elsewhere", from: sender, prekey: 3, cluster: stranger.chain.root.keyID),
                "wrong cluster"),
            step("sealed longer ago than the window", try seal("old", from: sender, prekey: 3, at: time - maximumAge - 1), "replayed"),
            step("sealed to prekey 3", try seal("to prekey 3", from: sender, prekey: 3), "valid", payload: "to prekey 3"),
        ]
        return File(
            description:
                "Arbor node messages and prekey records (docs/cluster.md, Messages between nodes). Check each prekey record with a fresh reader that trusts root_certificate at time; open the messages in order with one receiver for recipient that holds prekey_secrets and revocations, at time.",
            rootKey: Hex.encode(Fixtures.vectorRoot.secretBytes.withUnsafeBytes { Array($0) }),
            rootCertificate: Hex.encode(scenario.rootCertificate.encoded), time: time, maximumAge: maximumAge,
            recipient: recipient.secret.path.description,
            prekeySecrets: prekeys.map { PrekeySeed(id: $0.id, seed: $0.seed.withUnsafeBytes { Hex.encode($0) }) },
            revocations: Hex.encode(RevocationList([revocation]).encoded),
            prekeyRecords: prekeyRecords, messages: messages)
    }

    @Test("the committed prekey records and messages have their outcomes")
    func committed() throws {
        try Fixtures.writeVectorsIfAsked({ try Self.make() }, to: Self.fileName)
        let file = try Fixtures.loadVectors(File.self, from: Self.fileName)
        let anchor = try TrustAnchor(name: "home", rootCertificate: try KeyCertificate(encoded: try Hex.decode(file.rootCertificate)))
        let revocations = try RevocationList(encoded: try Hex.decode(file.revocations))
        let recipient = try NodeSecret(root: Fixtures.vectorRoot).descendant(try TreePath(parsing: file.recipient))
        #expect(file.prekeyRecords.count >= 4 && file.messages.count >= 12)

        for step in file.prekeyRecords {
            var ledger = ClusterLedger(root: anchor, revocations: revocations)
            #expect(
                outcome { try ledger.apply(try Hex.decode(step.bytes), storedAt: try #require(step.storedAt), at: file.time) }
                    == step.expected, "\(step.description)")
        }
        var receiver = Receiver(
            anchor: anchor, keys: try recipient.keySet(), revocations: revocations, time: file.time,
            prekeys: Dictionary(
                uniqueKeysWithValues: try file.prekeySecrets.map {
                    ($0.id, try PrekeySecret(id: $0.id, seed: SecretBytes(copying: try Hex.decode($0.seed))))
                }))
        for step in file.messages {
            var payload: [UInt8]?
            #expect(outcome { payload = try receiver.open(try Hex.decode(step.bytes)) } == step.expected, "\(step.description)")
            #expect(payload.map(Hex.encode) == step.payload, "\(step.description)")
        }
        #expect(receiver.prekeys.keys.sorted() == [2])
    }

    private func outcome(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "valid"
        } catch let error as ArborError {
            return error.code.description
        } catch {
            return "\(error)"
        }
    }
}
