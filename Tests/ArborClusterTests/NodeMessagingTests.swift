import ArborCluster
import ArborCore
import ArborOperations
import ArborTestSupport
import Foundation
import Testing

/// Messages between nodes through a real etcd (docs/cluster.md, "Messages between nodes"): a
/// small cluster of three nodes under one root, each with its own message store.
@Suite(.serialized)
struct NodeMessagingTests {
    static let now: Int64 = 1_795_000_000
    static let validity = try! KeyCertificate.Validity(notBefore: now - 86_400, notAfter: now + 86_400)

    struct TestNode {
        let secret: NodeSecret
        let chain: CertificateChain
        let store = MemoryNodeMessageStore()
        var path: TreePath { secret.path }
    }

    struct Cluster {
        let root = RootKey.generate()
        let certificate: KeyCertificate
        let issuer: Issuer
        let anchor: TrustAnchor

        init() throws {
            certificate = try KeyCertificate.root(try root.node.keySet(), validity: NodeMessagingTests.validity)
            issuer = try Issuer(root: root, rootCertificate: certificate)
            anchor = try TrustAnchor(name: "home", rootCertificate: certificate)
        }

        func node(_ path: String) throws -> TestNode {
            let certified = try issuer.certify(try TreePath(parsing: path), usage: .all, validity: NodeMessagingTests.validity)
            return TestNode(secret: certified.secret, chain: certified.chain)
        }
    }

    let cluster: Cluster
    let a: TestNode
    let b: TestNode
    let c: TestNode

    init() throws {
        cluster = try Cluster()
        a = try cluster.node("eu/node-1")
        b = try cluster.node("eu/node-2")
        c = try cluster.node("us/node-3")
    }

    private func mailbox(_ server: EtcdServer) throws -> NodeMailbox { NodeMailbox(etcd: try server.client(), root: cluster.anchor) }

    private func send(_ text: String, from sender: TestNode, to recipient: TestNode, _ mailbox: NodeMailbox) async throws -> SentNodeMessage
    {
        try await mailbox.send(
            Array(text.utf8), as: sender.secret, chain: sender.chain, to: recipient.path, revocations: RevocationList(), at: Self.now)
    }

    private func receive(_ node: TestNode, _ mailbox: NodeMailbox, revocations: RevocationList = RevocationList()) async throws
        -> [MailboxDelivery]
    {
        try await mailbox.receive(as: node.secret, store: node.store, revocations: revocations, at: Self.now + 60)
    }

    private func opened(_ deliveries: [MailboxDelivery]) -> [ReceivedNodeMessage] {
        deliveries.compactMap { if case .opened(let message) = $0 { message } else { nil } }
    }

    private func refusals(_ deliveries: [MailboxDelivery]) -> [String] {
        deliveries.compactMap { if case .refused(_, let error) = $0 { error.code.description } else { nil } }
    }

    /// Writes the member record of `node`, enrolled by the root.
    private func enroll(_ node: TestNode, _ server: EtcdServer) async throws {
        let member = try ClusterMember(addresses: ["127.0.0.1:7443"], chain: node.chain)
        let write = try ClusterWrites.enroll(member, by: cluster.issuer, after: ClusterLedger(root: cluster.anchor), at: Self.now)
        try await server.client().put(key: write.key, value: write.value)
    }

    @Test func offlineRecipientOpensOnceWithForwardSecrecy() async throws {
        try await EtcdServer.with { server in
            let mailbox = try mailbox(server)
            #expect(
                try await mailbox.replenishPrekeys(
                    as: b.secret, chain: b.chain, store: b.store, revocations: RevocationList(), at: Self.now) == 32)
            // Enough remain: nothing more is published.
            #expect(
                try await mailbox.replenishPrekeys(
                    as: b.secret, chain: b.chain, store: b.store, revocations: RevocationList(), at: Self.now) == 0)

            // B is not running: the message waits in etcd.
            let sent = try await send("to B, offline", from: a, to: b, mailbox)
            #expect(sent.prekeyID == 1)
            #expect(try await server.client().get(sent.key) != nil)

            let stored = try #require(try await server.client().get(sent.key)).value
            let deliveries = try await receive(b, mailbox)
            let message = try #require(opened(deliveries).first)
            #expect(deliveries.count == 1)
            #expect(message.payload == Array("to B, offline".utf8))
            #expect(message.sender == a.path && message.wasForwardSecret && message.prekeyID == 1)
            // The prekey's secret is gone, and the mailbox is empty.
            #expect(try !b.store.prekeyIDs().contains(1))
            #expect(try await server.client().get(sent.key) == nil)

            // The same message written back is refused as a replay.
            try await server.client().put(key: sent.key, value: stored)
            #expect(refusals(try await receive(b, mailbox)) == ["replayed"])
            #expect(try await server.client().get(sent.key) == nil)

            // Another message sealed to the used prekey does not open: its secret is gone.
            let record = try #require(try await server.client().get(ClusterRecordKey.prekeys(b.path, cluster: cluster.anchor.keyID).text))
            let verified = try ClusterRecord(encoded: record.value).verify(
                storedAt: record.key, root: cluster.anchor, revocations: RevocationList(), at: Self.now)
            guard case .prekeys(let bundle) = verified.content else { throw EtcdServerError("not a prekey bundle") }
            let reused = try NodeMessages.seal(
                Array("again".utf8), from: a.secret, chain: a.chain, to: try .prekey(try #require(bundle.prekey(id: 1)), of: verified),
                cluster: cluster.anchor.keyID, at: Self.now)
            try await server.client().put(key: Self.mailboxKey(reused, cluster: cluster), value: reused.encoded)
            #expect(refusals(try await receive(b, mailbox)) == ["no matching key"])
        }
    }

    static func mailboxKey(_ message: NodeMessage, cluster: Cluster) -> String {
        "arbor-mailbox/\(cluster.anchor.keyID.hex)/\(message.recipient)/\(Hex.encode(message.messageID))"
    }

    @Test func onlineRecipientReceivesAsMessagesArrive() async throws {
        try await EtcdServer.with { server in
            let mailbox = try mailbox(server)
            try await mailbox.replenishPrekeys(as: b.secret, chain: b.chain, store: b.store, revocations: RevocationList(), at: Self.now)
            let stream = mailbox.deliveries(as: b.secret, store: b.store, revocations: { RevocationList() }, clock: { Self.now + 1 })
            var iterator = stream.makeAsyncIterator()
            // The receiver is watching before these are sent; the first may also be read by its range.
            _ = try await send("one", from: a, to: b, mailbox)
            _ = try await send("two", from: c, to: b, mailbox)
            var received: [String] = []
            while received.count < 2, let delivery = try await iterator.next() {
                guard case .opened(let message) = delivery else { Issue.record("refused: \(delivery)"); continue }
                received.append(String(decoding: message.payload, as: UTF8.self))
            }
            #expect(Set(received) == ["one", "two"])
            #expect(try await server.client().range(prefix: "arbor-mailbox/\(cluster.anchor.keyID.hex)/").keyValues.isEmpty)
        }
    }

    @Test func withoutPrekeysTheNodeKeyIsUsedWithoutForwardSecrecy() async throws {
        try await EtcdServer.with { server in
            let mailbox = try mailbox(server)
            // No prekeys and no member record: nothing to seal to.
            await #expect(throws: ArborError(.noMatchingKey, "")) { try await send("nobody", from: a, to: b, mailbox) }
            try await enroll(b, server)
            let sent = try await send("to the node key", from: a, to: b, mailbox)
            #expect(sent.prekeyID == 0)
            let message = try #require(opened(try await receive(b, mailbox)).first)
            #expect(message.payload == Array("to the node key".utf8) && !message.wasForwardSecret)
        }
    }

    @Test func forgedMisdirectedTamperedAndRevokedMessagesAreRefused() async throws {
        try await EtcdServer.with { server in
            let mailbox = try mailbox(server)
            let etcd = try server.client()
            try await enroll(b, server)
            try await enroll(c, server)

            // A message for C copied into B's mailbox.
            let forC = try await send("for C", from: a, to: c, mailbox)
            let forCBytes = try #require(try await etcd.get(forC.key)).value
            try await etcd.put(key: forC.key.replacingOccurrences(of: "/us/node-3/", with: "/eu/node-2/"), value: forCBytes)
            #expect(refusals(try await receive(b, mailbox)) == ["no matching key"])

            // A tampered ciphertext: one byte of the sealed file changed.
            let sent = try await send("tampered", from: a, to: b, mailbox)
            var bytes = try #require(try await etcd.get(sent.key)).value
            bytes[400] ^= 0x01  // inside the sealed file, after the header
            try await etcd.put(key: sent.key, value: bytes)
            #expect(refusals(try await receive(b, mailbox)) == ["invalid signature"])

            // A forged sender: a key of another tree calling itself eu/node-1.
            let stranger = try Cluster().node("eu/node-1")
            let target = try NodeMessageRecipient.nodeKey(b.chain, root: cluster.anchor, revocations: RevocationList(), at: Self.now)
            let forged = try NodeMessages.seal(
                Array("forged".utf8), from: stranger.secret, chain: stranger.chain, to: target, cluster: cluster.anchor.keyID, at: Self.now)
            try await etcd.put(key: Self.mailboxKey(forged, cluster: cluster), value: forged.encoded)
            #expect(refusals(try await receive(b, mailbox)) == ["untrusted root"])

            // A revoked sender: its revocation is a record in etcd, which the mailbox reads.
            _ = try await send("from a revoked node", from: a, to: b, mailbox)
            let revocation = try cluster.issuer.revoke(a.chain.leaf.keyID, at: a.path, reason: .keyCompromise, time: Self.now)
            let write = try ClusterWrites.revoke(revocation, by: cluster.issuer, after: ClusterLedger(root: cluster.anchor), at: Self.now)
            try await etcd.put(key: write.key, value: write.value)
            try await etcd.put(key: write.key.replacingOccurrences(of: "/revocations/", with: "/revocations/0"), value: [1, 2, 3])
            let revocations = try await mailbox.revocations(adding: RevocationList(), at: Self.now)
            #expect(revocations.revocations == [revocation])
            #expect(refusals(try await receive(b, mailbox, revocations: revocations)) == ["revoked"])
            // Nor does anyone seal to a revoked node.
            let revokedB = try cluster.issuer.revoke(b.chain.leaf.keyID, at: b.path, reason: .keyCompromise, time: Self.now)
            await #expect(throws: ArborError(.revoked, "")) {
                try await mailbox.send(
                    Array("to a revoked node".utf8), as: c.secret, chain: c.chain, to: b.path, revocations: RevocationList([revokedB]),
                    at: Self.now)
            }
        }
    }

    @Test func prekeyRecordsNotSignedByTheNodeItselfAreRefused() async throws {
        try await EtcdServer.with { server in
            let mailbox = try mailbox(server)
            let etcd = try server.client()
            let key = ClusterRecordKey.prekeys(c.path, cluster: cluster.anchor.keyID).text
            let bundle = try PrekeyBundle(prekeys: [try PrekeySecret.generate(id: 1).prekey])

            // Unsigned: the bare bundle written by someone with etcd access.
            try await etcd.put(key: key, value: bundle.encoded)
            await #expect(throws: ArborError(.malformedInput, "")) { try await send("to C", from: a, to: c, mailbox) }

            // Signed, but by another node of the tree (A publishing prekeys for C).
            let record = try ClusterRecord(
                key: .prekeys(c.path, cluster: cluster.anchor.keyID), sequence: 1, value: bundle.encoded, signer: try a.secret.keySet(),
                chain: a.chain)
            try await etcd.put(key: key, value: record.encoded)
            await #expect(throws: ArborError(.notAuthorised, "")) { try await send("to C", from: a, to: c, mailbox) }

            // Signed by C itself, but with a key older than the one its member record names now.
            let own = try ClusterRecord(
                key: .prekeys(c.path, cluster: cluster.anchor.keyID), sequence: 2, value: bundle.encoded, signer: try c.secret.keySet(),
                chain: c.chain)
            try await etcd.put(key: key, value: own.encoded)
            #expect(try await send("to C", from: a, to: c, mailbox).prekeyID == 1)
            let rekeyed = try cluster.issuer.certify(c.path, epoch: 1, usage: .all, validity: Self.validity)
            try await enroll(TestNode(secret: rekeyed.secret, chain: rekeyed.chain), server)
            await #expect(throws: ArborError(.notAuthorised, "")) { try await send("to C", from: a, to: c, mailbox) }
            #expect(try await etcd.range(prefix: "arbor-mailbox/\(cluster.anchor.keyID.hex)/").keyValues.count == 1)
        }
    }

    @Test func concurrentSendersNeverClaimTheSamePrekey() async throws {
        try await EtcdServer.with { server in
            let mailbox = try mailbox(server)
            try await enroll(b, server)
            try await mailbox.replenishPrekeys(
                as: b.secret, chain: b.chain, store: b.store, revocations: RevocationList(), minimum: 4, batch: 4, at: Self.now)
            let senders = [a, c, a, c, a, c, a, c]
            let sent = try await withThrowingTaskGroup(of: SentNodeMessage.self) { group in
                for (index, sender) in senders.enumerated() {
                    group.addTask { try await send("message \(index)", from: sender, to: b, mailbox) }
                }
                var sent: [SentNodeMessage] = []
                for try await message in group { sent.append(message) }
                return sent
            }
            let prekeyIDs = sent.map(\.prekeyID).filter { $0 != 0 }
            #expect(prekeyIDs.sorted() == [1, 2, 3, 4])
            #expect(sent.filter { $0.prekeyID == 0 }.count == 4)
            let received = opened(try await receive(b, mailbox))
            #expect(received.count == 8)
            #expect(try b.store.prekeyIDs().isEmpty)

            // Replenishing replaces the used prekeys and drops their claims.
            #expect(
                try await mailbox.replenishPrekeys(
                    as: b.secret, chain: b.chain, store: b.store, revocations: RevocationList(), minimum: 4, batch: 4, at: Self.now) == 4)
            #expect(try b.store.prekeyIDs() == [5, 6, 7, 8])
            #expect(try await server.client().range(prefix: "arbor-prekey-claims/\(cluster.anchor.keyID.hex)/").keyValues.isEmpty)
            #expect(try await send("after", from: a, to: b, mailbox).prekeyID == 5)
        }
    }
}

extension NodeMessagingTests {
    @Test func replenishingDropsMoreClaimsThanOneTransactionHolds() async throws {
        try await EtcdServer.with { server in
            let mailbox = try mailbox(server)
            let etcd = try server.client()
            let cluster = self.cluster.anchor.keyID
            #expect(
                try await mailbox.replenishPrekeys(
                    as: b.secret, chain: b.chain, store: b.store, revocations: RevocationList(), minimum: 1, batch: 200, at: Self.now)
                    == 200)
            // 150 prekeys claimed (a claim is an unsigned key: writing it directly is what a sender's transaction does).
            for id in 1...150 {
                try await etcd.put(key: "arbor-prekey-claims/\(cluster.hex)/eu/node-2/\(id)", value: Array("eu/node-1".utf8))
            }
            #expect(
                try await mailbox.replenishPrekeys(
                    as: b.secret, chain: b.chain, store: b.store, revocations: RevocationList(), minimum: 100, batch: 50, at: Self.now)
                    == 50)
            #expect(try await etcd.range(prefix: "arbor-prekey-claims/\(cluster.hex)/").keyValues.isEmpty)
            let record = try #require(try await etcd.get(ClusterRecordKey.prekeys(b.path, cluster: cluster).text))
            let verified = try ClusterRecord(encoded: record.value).verify(
                storedAt: record.key, root: self.cluster.anchor, revocations: RevocationList(), at: Self.now)
            guard case .prekeys(let bundle) = verified.content else { throw EtcdServerError("not a prekey bundle") }
            #expect(bundle.prekeys.map(\.id) == Array(151...250))
        }
    }
}
