import ArborCore
import ArborOperations
import Testing

/// The follower a node runs over etcd, as a pure state machine (`ClusterFollower`), and the grants
/// it opens (`KeyringGrants`): fed by hand with what a range or a watch would return.
@Suite struct ClusterFollowerTests {
    static let now = TestCluster.now

    struct Tree {
        let cluster: TestCluster
        let eu: Issuer
        let node7: (secret: NodeSecret, chain: CertificateChain)
        let node8: (secret: NodeSecret, chain: CertificateChain)
        var anchor: TrustAnchor { try! TrustAnchor(name: "home", rootCertificate: cluster.certificate) }

        init() throws {
            cluster = try TestCluster()
            let branch = try cluster.issuer.certify(TreePath(parsing: "eu"), usage: .all, validity: TestCluster.validity)
            eu = try Issuer(secret: branch.secret, chain: branch.chain)
            node7 = try eu.certify(TreePath(parsing: "eu/node-7"), usage: .all, validity: TestCluster.validity)
            node8 = try eu.certify(TreePath(parsing: "eu/node-8"), usage: .all, validity: TestCluster.validity)
        }

        func announce(_ node: (secret: NodeSecret, chain: CertificateChain), after ledger: ClusterLedger) throws -> ClusterWrite {
            try ClusterWrites.announce(addresses: ["10.0.0.1:7443"], secret: node.secret, chain: node.chain, after: ledger, at: now)
        }
    }

    private static func put(_ write: ClusterWrite, _ revision: Int64) -> ClusterChange {
        ClusterChange(kind: .put, key: write.key, value: write.value, revision: revision)
    }

    @Test func aReadAppliesInRevisionOrderSkipsWhatWasSeenAndMarksMissingMembersDeparted() throws {
        let tree = try Tree()
        var follower = try ClusterFollower(root: tree.anchor, kept: nil)
        let seven = try tree.announce(tree.node7, after: follower.ledger)
        let eight = try tree.announce(tree.node8, after: follower.ledger)
        var outcome = follower.applyRead([Self.put(eight, 5), Self.put(seven, 3)], revision: 6, at: Self.now)
        #expect(outcome.applied.map(\.record.key.text) == [seven.key, eight.key])
        #expect(outcome.refused.isEmpty)
        #expect(follower.revision == 6)

        // A restart from the kept state: the same read applies nothing again and refuses nothing.
        var restarted = try ClusterFollower(root: tree.anchor, kept: follower.state(lastContact: 1))
        outcome = restarted.applyRead([Self.put(seven, 3), Self.put(eight, 5)], revision: 6, at: Self.now)
        #expect(outcome.applied.isEmpty && outcome.refused.isEmpty)
        #expect(restarted.ledger.members.count == 2)

        // eu/node-8's key is gone from a later read (its lease lapsed while the node was away).
        outcome = restarted.applyRead([Self.put(seven, 3)], revision: 9, at: Self.now)
        #expect(outcome.departed == [eight.key])
        #expect(restarted.ledger.members.keys.map(\.description) == ["eu/node-7"])
    }

    @Test func aWatchAppliesPutsAndDeletionsAndRefusesWithoutApplying() throws {
        let tree = try Tree()
        var follower = try ClusterFollower(root: tree.anchor, kept: nil)
        let seven = try tree.announce(tree.node7, after: follower.ledger)
        try follower.applyOwn(seven, at: Self.now)
        // The node's own record, read back from the watch: nothing to do, nothing refused.
        var outcome = follower.apply([Self.put(seven, 2)], at: Self.now)
        #expect(outcome.applied.isEmpty && outcome.refused.isEmpty)

        // A sibling's record signed by eu/node-7, and bytes that are no record at all: refused.
        let forged = try ClusterRecord(
            key: .member(tree.node8.secret.path, cluster: tree.anchor.keyID), sequence: 1,
            value: try ClusterMember(addresses: ["6.6.6.6:1"], chain: tree.node8.chain).encoded,
            signer: try tree.node7.secret.keySet(), chain: tree.node7.chain)
        outcome = follower.apply(
            [
                ClusterChange(kind: .put, key: forged.key.text, value: forged.encoded, revision: 3),
                ClusterChange(kind: .put, key: forged.key.text, value: Array("junk".utf8), revision: 4),
            ], at: Self.now)
        #expect(outcome.refused.map(\.error.code) == [.notAuthorised, .malformedInput])
        #expect(follower.ledger.members[tree.node8.secret.path] == nil)
        #expect(follower.revision == 4)

        outcome = follower.apply([ClusterChange(kind: .delete, key: seven.key, value: [], revision: 5)], at: Self.now)
        #expect(outcome.departed == [seven.key])
        #expect(follower.ledger.members.isEmpty)
    }

    @Test func aGrantOpensOnlyOnItsHolderAndMergesIntoItsStore() throws {
        let tree = try Tree()
        var ledger = ClusterLedger(root: tree.anchor)
        for node in [tree.node7, tree.node8] {
            let write = try tree.announce(node, after: ledger)
            try ledger.apply(write.value, storedAt: write.key, at: Self.now)
        }
        var keyring = try MeshKeyring.create(name: "payments", owner: tree.eu.secret)
        try keyring.rotate(owner: tree.eu.secret)
        let grant = try KeyringGrants.grant(
            keyring, to: tree.node7.secret.path, signer: tree.eu.keys, chain: tree.eu.chain, after: ledger, at: Self.now)
        let verified = try ledger.apply(grant.value, storedAt: grant.key, at: Self.now)
        guard case .grant(let sealed) = verified.content else {
            Issue.record("a grant record parses as a grant")
            return
        }
        #expect(!sealed.isEmpty)
        let opened = try KeyringGrants.open(sealed, key: verified.record.key, holder: tree.node7.secret)
        #expect(opened.heldEpochs == [1, 2] && opened.activeEpoch == 2)
        // Another node holds neither the address nor the key.
        #expect(throws: ArborError(.noMatchingKey, "")) {
            try KeyringGrants.open(sealed, key: verified.record.key, holder: tree.node8.secret)
        }
        // A grant's contents moved under another keyring's key do not pass for that keyring.
        let other = try ClusterRecordKey.grant(
            owner: tree.eu.secret.path, name: "audit", holder: tree.node7.secret.path, cluster: tree.anchor.keyID)
        #expect(throws: ArborError(.conflict, "")) { try KeyringGrants.open(sealed, key: other, holder: tree.node7.secret) }
        // Not a live member: nothing to seal to.
        #expect(throws: ArborError(.fileNotFound, "")) {
            try KeyringGrants.grant(
                keyring, to: try TreePath(parsing: "eu/node-9"), signer: tree.eu.keys, chain: tree.eu.chain, after: ledger,
                at: Self.now)
        }

        let store = InMemoryKeyringStore()
        #expect(try KeyringGrants.install(opened, into: store).activeEpoch == 2)
        try keyring.rotate(owner: tree.eu.secret)
        #expect(try KeyringGrants.install(keyring, into: store).heldEpochs == [1, 2, 3])
        try KeyringGrants.apply(
            try KeyringMetadata(cipher: keyring.cipher, activeEpoch: 3, minimumEpoch: 2), owner: tree.eu.secret.path, name: "payments",
            to: store)
        #expect(try store.load("payments").heldEpochs == [2, 3])
    }
}
