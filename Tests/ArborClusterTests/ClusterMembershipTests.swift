import ArborCluster
import ArborCore
import ArborOperations
import ArborServer
import ArborTestSupport
import Foundation
import Testing

/// Nodes joining a cluster through a real etcd (see EtcdServer): each test starts its own etcd
/// and runs `ClusterMembership` services over SQLite databases, as `arbor serve --etcd` does.
@Suite(.serialized)
struct ClusterMembershipTests {
    private var now: Int64 { Int64(Date().timeIntervalSince1970) }

    private func memberPaths(_ node: ClusterTestNode) -> [String] { node.membership.currentView.members.map(\.path.description) }

    @Test func nodesJoinSeeEachOtherAndLeave() async throws {
        try await EtcdServer.with { server in
            let tree = try ClusterTree()
            let nodes = try ["eu/node-1", "eu/node-2", "eu/node-3"].map { try ClusterTestNode($0, tree: tree, etcd: server.clientURL) }
            defer { nodes.forEach { $0.removeFiles() } }
            for node in nodes { node.start() }
            let all = ["eu/node-1", "eu/node-2", "eu/node-3"]
            for node in nodes {
                try await eventually("\(node.path) sees every member") { memberPaths(node) == all }
                #expect(node.membership.currentView.state == .synced)
            }
            #expect(nodes[0].membership.currentView.members[1].addresses == ["127.0.0.1:8209"])

            // Graceful shutdown revokes the lease: the others see the member leave.
            try await nodes[2].stop()
            for node in nodes.prefix(2) {
                try await eventually("\(node.path) sees eu/node-3 leave") { memberPaths(node) == ["eu/node-1", "eu/node-2"] }
            }
            for node in nodes.prefix(2) { try await node.stop() }
        }
    }

    @Test func aParentsRevocationIsAppliedOnEveryNode() async throws {
        try await EtcdServer.with { server in
            let tree = try ClusterTree()
            let nodes = try ["eu/node-1", "eu/node-2"].map { try ClusterTestNode($0, tree: tree, etcd: server.clientURL) }
            defer { nodes.forEach { $0.removeFiles() } }
            for node in nodes { node.start() }
            for node in nodes { try await eventually("\(node.path) sees both") { memberPaths(node).count == 2 } }

            let etcd = try server.client()
            let (follower, _) = try await ClusterStateReader.read(from: etcd, root: try tree.anchor, at: now)
            let revoked = try tree.node("eu/node-2").chain.leaf
            let revocation = try tree.eu.revoke(revoked.keyID, at: revoked.path, reason: .keyCompromise, time: now)
            let write = try ClusterWrites.revoke(revocation, by: tree.eu, after: follower.ledger, at: now)
            #expect(try await ClusterStateReader.write(write, to: etcd, readAt: follower.revision))
            for node in nodes {
                try await eventually("\(node.path) applies the revocation") {
                    !node.membership.currentView.revocations.revocations(of: revoked.keyID).isEmpty
                }
                // The revoked node is no longer a live member, though its lease still runs.
                #expect(memberPaths(node) == ["eu/node-1"])
            }
            // Kept in SQLite: the stored ledger holds it.
            let kept = try #require(try DatabaseClusterStateStore(database: nodes[0].database).load(cluster: follower.cluster.hex))
            let restored = try ClusterFollower(root: try tree.anchor, kept: kept)
            #expect(!restored.ledger.revocations.revocations(of: revoked.keyID).isEmpty)
            for node in nodes { try await node.stop() }
        }
    }

    @Test func forgedRecordsWrittenStraightToEtcdAreRefused() async throws {
        try await EtcdServer.with { server in
            let tree = try ClusterTree()
            let node = try ClusterTestNode("eu/node-1", tree: tree, etcd: server.clientURL)
            defer { node.removeFiles() }
            node.start()
            try await eventually("the node joins") { memberPaths(node) == ["eu/node-1"] }
            let cluster = node.membership.cluster
            let etcd = try server.client()

            // Unsigned bytes under a member key.
            try await etcd.put(
                key: ClusterRecordKey.member(try TreePath(parsing: "eu/evil"), cluster: cluster).text, value: Array("evil".utf8))
            // A sibling enrolling a node (only an ancestor may).
            let sibling = try tree.node("eu/node-2")
            let intruder = try tree.node("eu/node-3")
            let key = ClusterRecordKey.member(intruder.secret.path, cluster: cluster)
            let enrolledBySibling = try ClusterRecord(
                key: key, sequence: 1, value: try ClusterMember(addresses: ["10.0.0.3:8200"], chain: intruder.chain).encoded,
                signer: try sibling.secret.keySet(), chain: sibling.chain)
            try await etcd.put(key: key.text, value: enrolledBySibling.encoded)
            // A valid record with its value changed afterwards.
            let selfRecord = try ClusterRecord(
                key: key, sequence: 2, value: try ClusterMember(addresses: ["10.0.0.3:8200"], chain: intruder.chain).encoded,
                signer: try intruder.secret.keySet(), chain: intruder.chain)
            var tampered = selfRecord.encoded
            tampered[60] ^= 1
            try await etcd.put(key: key.text, value: tampered)

            try await eventually("three records refused") { node.membership.currentView.refused >= 3 }
            #expect(memberPaths(node) == ["eu/node-1"])
            try await node.stop()
        }
    }

    @Test func aGrantReachesItsHolderWhoOpensWhatAnotherHolderSealed() async throws {
        try await EtcdServer.with { server in
            let tree = try ClusterTree()
            let nodes = try ["eu/node-1", "eu/node-2"].map { try ClusterTestNode($0, tree: tree, etcd: server.clientURL) }
            defer { nodes.forEach { $0.removeFiles() } }
            for node in nodes { node.start() }
            for node in nodes { try await eventually("\(node.path) sees both") { memberPaths(node).count == 2 } }

            let etcd = try server.client()
            var keyring = try MeshKeyring.create(name: "payments", owner: tree.eu.secret)
            try await grant(keyring, to: nodes.map(\.path), tree: tree, etcd: etcd)
            for node in nodes {
                try await eventually("\(node.path) holds the keyring") { (try await node.keyrings.load("payments")) != nil }
            }
            let sealedOnOne = try #require(try await nodes[0].keyrings.load("payments")).seal(
                Array("card 4242".utf8), origin: nodes[0].path, time: now * 1000)
            #expect(try #require(try await nodes[1].keyrings.load("payments")).open(sealedOnOne) == Array("card 4242".utf8))

            // A grant signed by a node that does not own the keyring is refused, and changes nothing.
            let (follower, _) = try await ClusterStateReader.read(from: etcd, root: try tree.anchor, at: now)
            let notOwner = try tree.node("eu/node-1")
            #expect(throws: ArborError(.notAuthorised, "")) {
                try KeyringGrants.grant(
                    keyring, to: nodes[1].path, signer: try notOwner.secret.keySet(), chain: notOwner.chain, after: follower.ledger, at: now
                )
            }

            // The owner rotates and publishes: the holder moves to the new epoch.
            try keyring.rotate(owner: tree.eu.secret)
            let (after, _) = try await ClusterStateReader.read(from: etcd, root: try tree.anchor, at: now)
            let metadata = try ClusterWrites.publish(keyring, secret: tree.eu.secret, chain: tree.eu.chain, after: after.ledger, at: now)
            #expect(try await ClusterStateReader.write(metadata, to: etcd, readAt: after.revision))
            try await grant(keyring, to: [nodes[1].path], tree: tree, etcd: etcd)
            try await eventually("eu/node-2 holds epoch 2") { (try await nodes[1].keyrings.load("payments"))?.activeEpoch == 2 }
            #expect(nodes[1].membership.currentView.keyrings.map(\.activeEpoch) == [2])
            for node in nodes { try await node.stop() }
        }
    }

    @Test func aNodeCutOffFromEtcdKeepsOpeningReportsStaleAndRecovers() async throws {
        try await EtcdServer.with { server in
            let tree = try ClusterTree()
            let nodes = try ["eu/node-1", "eu/node-2"].map { try ClusterTestNode($0, tree: tree, etcd: server.clientURL) }
            defer { nodes.forEach { $0.removeFiles() } }
            for node in nodes { node.start() }
            for node in nodes { try await eventually("\(node.path) sees both") { memberPaths(node).count == 2 } }
            let etcd = try server.client()
            let keyring = try MeshKeyring.create(name: "payments", owner: tree.eu.secret)
            try await grant(keyring, to: nodes.map(\.path), tree: tree, etcd: etcd)
            for node in nodes {
                try await eventually("\(node.path) holds the keyring") { (try await node.keyrings.load("payments")) != nil }
            }

            server.pause()
            for node in nodes { try await eventually("\(node.path) reports stale") { node.membership.currentView.state == .stale } }
            // Cut off, the nodes still seal and open with what they hold.
            let token = try #require(try await nodes[0].keyrings.load("payments")).seal(
                Array("offline".utf8), origin: nodes[0].path, time: now * 1000)
            #expect(try #require(try await nodes[1].keyrings.load("payments")).open(token) == Array("offline".utf8))
            #expect(memberPaths(nodes[1]) == ["eu/node-1", "eu/node-2"])

            try await server.restart()
            for node in nodes {
                try await eventually("\(node.path) syncs again") {
                    node.membership.currentView.state == .synced && memberPaths(node).count == 2
                }
            }
            for node in nodes { try await node.stop() }
        }
    }

    /// The owner's grant of `keyring` to each holder, as `arbor cluster grant` writes it.
    private func grant(_ keyring: MeshKeyring, to holders: [TreePath], tree: ClusterTree, etcd: EtcdClient) async throws {
        for holder in holders {
            let (follower, _) = try await ClusterStateReader.read(from: etcd, root: try tree.anchor, at: now)
            let write = try KeyringGrants.grant(
                keyring, to: holder, signer: tree.eu.keys, chain: tree.eu.chain, after: follower.ledger, at: now)
            #expect(write.key.hasSuffix("/grants/payments/eu/\(holder)"))
            #expect(try await ClusterStateReader.write(write, to: etcd, readAt: follower.revision))
        }
    }
}
