import ArborCore
import ArborOperations
import ArborSeal
import Testing

/// Rekey instructions (docs/cluster.md §17): what an ancestor writes, every reader accepts, only
/// the member opens, and the member carries out once; what a reader refuses, with the reason.
@Suite struct ClusterRekeysTests {
    static let now = TestCluster.now

    struct Fixture {
        let cluster: TestCluster
        let eu: Issuer
        let node: (secret: NodeSecret, chain: CertificateChain)
        var ledger: ClusterLedger

        init() throws {
            cluster = try TestCluster()
            ledger = ClusterLedger(root: try TrustAnchor(name: "home", rootCertificate: cluster.certificate))
            let eu = try cluster.issuer.certify(TreePath(parsing: "eu"), usage: .all, validity: TestCluster.validity)
            self.eu = try Issuer(secret: eu.secret, chain: eu.chain)
            node = try self.eu.certify(TreePath(parsing: "eu/node-7"), usage: .all, validity: TestCluster.validity)
            let joined = try ClusterWrites.announce(
                addresses: ["10.0.0.7:7443"], secret: node.secret, chain: node.chain, after: ledger, at: ClusterRekeysTests.now)
            try ledger.apply(joined.value, storedAt: joined.key, at: ClusterRekeysTests.now)
        }

        /// A new root for the cluster, with the transition, and its issuer.
        func rootRekey() throws -> (RootRekey, Issuer) {
            let rekey = try RootRekey(
                from: cluster.root, certificate: cluster.certificate, validity: TestCluster.validity, at: ClusterRekeysTests.now)
            return (rekey, try Issuer(root: rekey.root, rootCertificate: rekey.certificate))
        }

        /// A record of kind 9 for eu/node-7 with this value, signed by `signer`.
        func instruction(_ value: [UInt8], by signer: Issuer) throws -> ClusterRecord {
            let key = ClusterRecordKey.rekey(try TreePath(parsing: "eu/node-7"), cluster: ledger.cluster)
            return try ClusterRecord(key: key, sequence: 1, value: value, signer: signer.keys, chain: signer.chain)
        }
    }

    @Test func theMemberOpensItsNewKeyOnceAndPostsTheRevocationAfterTheGracePeriod() throws {
        var fixture = try Fixture()
        let order = try ClusterRekeys.order(
            try TreePath(parsing: "eu/node-7"), by: fixture.eu, usage: .all, validity: TestCluster.validity, grace: 60,
            reason: .superseded, after: fixture.ledger, at: Self.now)
        #expect(order.newPath.description == "eu/node-7#1")
        #expect(order.write.key.hasSuffix("/rekeys/eu/node-7"))
        try fixture.ledger.apply(order.write.value, storedAt: order.write.key, at: Self.now)
        // A theft of the old key would expose the new one (the order is sealed to it).
        #expect(
            ClusterRekeys.keysExposed(byCompromiseOf: fixture.node.chain.leaf.keyID, in: fixture.ledger).map(\.keyID) == [order.newKeyID])

        let instruction = try #require(try ClusterRekeys.pending(for: fixture.node.secret, in: fixture.ledger, at: Self.now))
        let moved = try ClusterRekeys.open(instruction, with: fixture.node.secret)
        #expect(moved.secret.path.description == "eu/node-7#1")
        #expect(try moved.secret.keySet().keyID == order.newKeyID)
        // Sealed to eu/node-7's key: its sibling's key does not open the age file itself, and
        // `open` refuses an instruction for another key before trying.
        let sibling = try fixture.eu.certify(TreePath(parsing: "eu/node-8"), usage: .all, validity: TestCluster.validity)
        #expect(throws: ArborError.self) {
            try Age.decrypt(instruction.sealedKey, identities: [.postQuantum(of: try sibling.secret.keySet())])
        }
        #expect(throws: ArborError(.noMatchingKey, "")) { try ClusterRekeys.open(instruction, with: sibling.secret) }
        // Once moved, the node has nothing pending: the instruction names the key it left.
        #expect(try ClusterRekeys.pending(for: moved.secret, in: fixture.ledger, at: Self.now) == nil)

        // The moved node announces itself under its new path, with its own key.
        let announced = try ClusterWrites.announce(
            addresses: ["10.0.0.7:7443"], secret: moved.secret, chain: moved.chain, after: fixture.ledger, at: Self.now)
        try fixture.ledger.apply(announced.value, storedAt: announced.key, at: Self.now)
        #expect(fixture.ledger.members[moved.secret.path] != nil)

        // Not by the node before it moved: that would revoke the key it still uses.
        #expect(
            try ClusterRekeys.dueRevocation(
                for: try fixture.node.secret.keySet(), chain: fixture.node.chain, in: fixture.ledger, at: Self.now + 60) == nil)
        // Nor by a node that self-rekeyed instead of moving (a race): the revocation covers a
        // certificate of its own chain.
        let raced = try SelfRekey.advance(fixture.node.secret, chain: fixture.node.chain, validity: TestCluster.validity)
        #expect(
            try ClusterRekeys.dueRevocation(for: try raced.secret.keySet(), chain: raced.chain, in: fixture.ledger, at: Self.now + 60)
                == nil)
        // The revocation waits for the grace period, then is posted once.
        let newKeys = try moved.secret.keySet()
        #expect(try ClusterRekeys.dueRevocation(for: newKeys, chain: moved.chain, in: fixture.ledger, at: Self.now + 59) == nil)
        // A node that self-rekeyed since it moved still posts it.
        let later = try SelfRekey.advance(moved.secret, chain: moved.chain, validity: TestCluster.validity)
        #expect(
            try ClusterRekeys.dueRevocation(for: try later.secret.keySet(), chain: later.chain, in: fixture.ledger, at: Self.now + 60)
                != nil)
        let due = try #require(try ClusterRekeys.dueRevocation(for: newKeys, chain: moved.chain, in: fixture.ledger, at: Self.now + 60))
        try fixture.ledger.apply(due.value, storedAt: due.key, at: Self.now + 60)
        #expect(fixture.ledger.revocations.revocations.map(\.revokedKeyID) == [fixture.node.chain.leaf.keyID])
        #expect(try ClusterRekeys.dueRevocation(for: newKeys, chain: moved.chain, in: fixture.ledger, at: Self.now + 61) == nil)
        // The old key is refused from then on; the new one is not.
        #expect(throws: ArborError(.revoked, "")) {
            try ClusterWrites.announce(
                addresses: ["x:1"], secret: fixture.node.secret, chain: fixture.node.chain, after: fixture.ledger, at: Self.now + 61)
        }
        _ = try ClusterWrites.announce(
            addresses: ["x:1"], secret: moved.secret, chain: moved.chain, after: fixture.ledger, at: Self.now + 61)
    }

    @Test func anOfflineMemberIsMovedWithTheKeyItsLastRecordNames() throws {
        var fixture = try Fixture()
        try fixture.ledger.applyDeletion(of: ClusterRecordKey.member(fixture.node.secret.path, cluster: fixture.ledger.cluster).text)
        #expect(fixture.ledger.members.isEmpty)
        let order = try ClusterRekeys.order(
            fixture.node.secret.path, by: fixture.eu, usage: .all, validity: TestCluster.validity, grace: 0, reason: .superseded,
            after: fixture.ledger, at: Self.now)
        try fixture.ledger.apply(order.write.value, storedAt: order.write.key, at: Self.now)
        let instruction = try #require(try ClusterRekeys.pending(for: fixture.node.secret, in: fixture.ledger, at: Self.now))
        #expect(try ClusterRekeys.open(instruction, with: fixture.node.secret).chain.leaf.keyID == order.newKeyID)
        // A path that never was a member has no key to seal to.
        #expect(throws: ArborError(.fileNotFound, "")) {
            try ClusterRekeys.order(
                try TreePath(parsing: "eu/node-9"), by: fixture.eu, usage: .all, validity: TestCluster.validity, grace: 0,
                reason: .superseded, after: fixture.ledger, at: Self.now)
        }
    }

    @Test func readersRefuseInstructionsTheTreeDoesNotAuthorise() throws {
        let fixture = try Fixture()
        let path = fixture.node.secret.path
        let good = try RekeyInstruction(
            encoded: try ClusterRecord(
                encoded: try ClusterRekeys.order(
                    path, by: fixture.eu, usage: .all, validity: TestCluster.validity, grace: 0, reason: .superseded,
                    after: fixture.ledger, at: Self.now
                ).write.value
            ).value)
        func refused(_ record: ClusterRecord, _ code: ArborError.Code) {
            var ledger = fixture.ledger
            #expect(throws: ArborError(code, "")) { try ledger.apply(record.encoded, storedAt: record.key.text, at: Self.now) }
            #expect(ledger.rekeys.isEmpty)
        }
        // A sibling, and the node itself, may not order it.
        let sibling = try fixture.eu.certify(TreePath(parsing: "eu/node-8"), usage: .all, validity: TestCluster.validity)
        refused(try fixture.instruction(good.encoded, by: try Issuer(secret: sibling.secret, chain: sibling.chain)), .notAuthorised)
        refused(
            try fixture.instruction(good.encoded, by: try Issuer(secret: fixture.node.secret, chain: fixture.node.chain)), .notAuthorised)
        // A move to another label, or to the same key.
        let elsewhere = try fixture.eu.certify(TreePath(parsing: "eu/node-8#1"), usage: .all, validity: TestCluster.validity)
        let toElsewhere = try RekeyInstruction(
            fromKeyID: good.fromKeyID, revokeAfter: Self.now, chain: elsewhere.chain, sealedKey: good.sealedKey,
            revocationRecord: good.revocationRecord)
        refused(try fixture.instruction(toElsewhere.encoded, by: fixture.eu), .invalidRekey)
        let sameKey = try RekeyInstruction(
            fromKeyID: good.chain.leaf.keyID, revokeAfter: Self.now, chain: good.chain, sealedKey: good.sealedKey,
            revocationRecord: good.revocationRecord)
        refused(try fixture.instruction(sameKey.encoded, by: fixture.eu), .invalidRekey)
        // A revocation of another node carried along.
        let other = try fixture.eu.revoke(sibling.chain.leaf.keyID, at: sibling.secret.path, reason: .superseded, time: Self.now)
        let otherRecord = try ClusterRecord(
            key: .revocation(other, cluster: fixture.ledger.cluster), sequence: 1, value: other.encoded, signer: fixture.eu.keys,
            chain: fixture.eu.chain)
        let revokingOther = try RekeyInstruction(
            fromKeyID: good.fromKeyID, revokeAfter: Self.now, chain: good.chain, sealedKey: good.sealedKey,
            revocationRecord: otherRecord.encoded)
        refused(try fixture.instruction(revokingOther.encoded, by: fixture.eu), .conflict)
        // Bytes changed after signing.
        var tampered = try fixture.instruction(good.encoded, by: fixture.eu).encoded
        tampered[tampered.count - 4000] ^= 1
        var ledger = fixture.ledger
        #expect(throws: ArborError.self) {
            try ledger.apply(tampered, storedAt: ClusterRecordKey.rekey(path, cluster: ledger.cluster).text, at: Self.now)
        }
        // The instruction as written is accepted.
        var accepting = fixture.ledger
        let record = try fixture.instruction(good.encoded, by: fixture.eu)
        try accepting.apply(record.encoded, storedAt: record.key.text, at: Self.now)
        #expect(accepting.rekeys[path] == good)
    }

    @Test func aRootRekeyIssuesEveryMemberAgainUnderTheNewRoot() throws {
        var fixture = try Fixture()
        // A second member, departed, and a third, revoked: the revoked one is left behind.
        let other = try fixture.eu.certify(TreePath(parsing: "eu/node-8"), usage: [.sign, .keyAgreement], validity: TestCluster.validity)
        let revoked = try fixture.eu.certify(TreePath(parsing: "eu/node-9"), usage: .all, validity: TestCluster.validity)
        for node in [other, revoked] {
            let joined = try ClusterWrites.announce(
                addresses: ["a:1"], secret: node.secret, chain: node.chain, after: fixture.ledger, at: Self.now)
            try fixture.ledger.apply(joined.value, storedAt: joined.key, at: Self.now)
        }
        try fixture.ledger.applyDeletion(of: ClusterRecordKey.member(other.secret.path, cluster: fixture.ledger.cluster).text)
        let revocation = try fixture.eu.revoke(revoked.chain.leaf.keyID, at: revoked.secret.path, reason: .keyCompromise, time: Self.now)
        let revokedWrite = try ClusterWrites.revoke(revocation, by: fixture.eu, after: fixture.ledger, at: Self.now)
        try fixture.ledger.apply(revokedWrite.value, storedAt: revokedWrite.key, at: Self.now)

        let (rekey, newRoot) = try fixture.rootRekey()
        let reissue = try ClusterRekeys.reissue(
            by: fixture.cluster.issuer, under: newRoot, transition: rekey.transition, validity: TestCluster.validity,
            after: fixture.ledger, at: Self.now)
        #expect(reissue.instructions.map { $0.path.description } == ["eu/node-7", "eu/node-8"])
        #expect(reissue.skipped.map { $0.path.description } == ["eu/node-9"])
        for write in [reissue.transition] + reissue.instructions.map { $0.write } {
            try fixture.ledger.apply(write.value, storedAt: write.key, at: Self.now)
        }
        #expect(fixture.ledger.transition == rekey.transition)

        let instruction = try #require(try ClusterRekeys.pending(for: fixture.node.secret, in: fixture.ledger, at: Self.now))
        #expect(instruction.kind == .root)
        let moved = try ClusterRekeys.open(instruction, with: fixture.node.secret)
        #expect(moved.secret.path == fixture.node.secret.path)
        #expect(moved.chain.root.keyID == rekey.certificate.keyID)
        let newAnchor = try TrustAnchor(name: "new", rootCertificate: rekey.certificate)
        _ = try ChainVerifier(anchors: [newAnchor]).verify(moved.chain, at: Self.now)
        // The usage each member had is kept.
        let movedOther = try ClusterRekeys.open(try #require(fixture.ledger.rekeys[other.secret.path]), with: other.secret)
        #expect(movedOther.chain.leaf.usage == [.sign, .keyAgreement])
        // Nothing to revoke: the old tree is left whole.
        #expect(
            try ClusterRekeys.dueRevocation(for: try moved.secret.keySet(), chain: moved.chain, in: fixture.ledger, at: Self.now + 1) == nil
        )

        // A keyring the node owned moves to an epoch under the new tree, once.
        let store = InMemoryKeyringStore()
        try store.create(try MeshKeyring.create(name: "notes", owner: fixture.node.secret), at: "notes")
        #expect(try ClusterRekeys.rotateKeyringsIntoTree(["notes"], owner: fixture.node.secret, in: store).isEmpty)
        #expect(try ClusterRekeys.rotateKeyringsIntoTree(["notes"], owner: moved.secret, in: store).map(\.activeEpoch) == [2])
        #expect(try ClusterRekeys.rotateKeyringsIntoTree(["notes"], owner: moved.secret, in: store).isEmpty)
        #expect(try store.load("notes").heldEpochs == [1, 2])
    }

    @Test func onlyTheRootHandsOverOrIssuesUnderANewRoot() throws {
        let fixture = try Fixture()
        let (rekey, newRoot) = try fixture.rootRekey()
        let reissue = try ClusterRekeys.reissue(
            by: fixture.cluster.issuer, under: newRoot, transition: rekey.transition, validity: TestCluster.validity,
            after: fixture.ledger, at: Self.now)
        let instruction = try RekeyInstruction(encoded: try ClusterRecord(encoded: reissue.instructions[0].write.value).value)
        // eu signs the same values: not the root.
        var ledger = fixture.ledger
        let byEU = try fixture.instruction(instruction.encoded, by: fixture.eu)
        #expect(throws: ArborError(.notAuthorised, "")) { try ledger.apply(byEU.encoded, storedAt: byEU.key.text, at: Self.now) }
        let transitionByEU = try ClusterRecord(
            key: .transition(cluster: ledger.cluster), sequence: 1, value: rekey.transition.encoded, signer: fixture.eu.keys,
            chain: fixture.eu.chain)
        #expect(throws: ArborError(.notAuthorised, "")) {
            try ledger.apply(transitionByEU.encoded, storedAt: transitionByEU.key.text, at: Self.now)
        }
        // A transition that starts at another root, written by this cluster's root.
        let stranger = try TestCluster()
        let foreign = try RootRekey(from: stranger.root, certificate: stranger.certificate, validity: TestCluster.validity, at: Self.now)
        let foreignRecord = try ClusterRecord(
            key: .transition(cluster: ledger.cluster), sequence: 1, value: foreign.transition.encoded, signer: fixture.cluster.issuer.keys,
            chain: fixture.cluster.issuer.chain)
        #expect(throws: ArborError(.untrustedRoot, "")) {
            try ledger.apply(foreignRecord.encoded, storedAt: foreignRecord.key.text, at: Self.now)
        }
        #expect(ledger.transition == nil && ledger.rekeys.isEmpty)
    }

    @Test func noKeyUnderTheNewRootIsSealedToAKeyAMoveLeaves() throws {
        var fixture = try Fixture()
        let order = try ClusterRekeys.order(
            fixture.node.secret.path, by: fixture.eu, validity: TestCluster.validity, grace: 60, reason: .keyCompromise,
            after: fixture.ledger, at: Self.now)
        try fixture.ledger.apply(order.write.value, storedAt: order.write.key, at: Self.now)
        let (rekey, newRoot) = try fixture.rootRekey()
        // The move is pending: the reissue waits for it rather than seal to the key being left.
        #expect(throws: ArborError(.conflict, "")) {
            try ClusterRekeys.reissue(
                by: fixture.cluster.issuer, under: newRoot, transition: rekey.transition, validity: TestCluster.validity,
                after: fixture.ledger, at: Self.now)
        }
        // Once the node moved (its new record published, the old one lingering until its lease
        // lapses), the old record's key is left behind and the new path is issued again.
        let moved = try ClusterRekeys.open(try #require(fixture.ledger.rekeys[fixture.node.secret.path]), with: fixture.node.secret)
        let announced = try ClusterWrites.announce(
            addresses: ["a:1"], secret: moved.secret, chain: moved.chain, after: fixture.ledger, at: Self.now)
        try fixture.ledger.apply(announced.value, storedAt: announced.key, at: Self.now)
        let reissue = try ClusterRekeys.reissue(
            by: fixture.cluster.issuer, under: newRoot, transition: rekey.transition, validity: TestCluster.validity,
            after: fixture.ledger, at: Self.now)
        #expect(reissue.instructions.map { $0.path.description } == ["eu/node-7#1"])
        #expect(reissue.skipped.map { $0.path.description } == ["eu/node-7"])
        // The order kept the usage the member had, as no other was asked for.
        #expect(moved.chain.leaf.usage == fixture.node.chain.leaf.usage)
    }

    @Test func anInstructionWhoseSignerWasRevokedSinceIsNotCarriedOut() throws {
        var fixture = try Fixture()
        let order = try ClusterRekeys.order(
            fixture.node.secret.path, by: fixture.eu, validity: TestCluster.validity, grace: 60, reason: .superseded,
            after: fixture.ledger, at: Self.now)
        try fixture.ledger.apply(order.write.value, storedAt: order.write.key, at: Self.now)
        #expect(try ClusterRekeys.pending(for: fixture.node.secret, in: fixture.ledger, at: Self.now) != nil)
        // The root revokes eu (its key was stolen, say) before the node read its order.
        let revocation = try fixture.cluster.issuer.revoke(
            fixture.eu.keys.keyID, at: fixture.eu.chain.leaf.path, reason: .keyCompromise, time: Self.now)
        let revoked = try ClusterWrites.revoke(revocation, by: fixture.cluster.issuer, after: fixture.ledger, at: Self.now)
        try fixture.ledger.apply(revoked.value, storedAt: revoked.key, at: Self.now)
        #expect(throws: ArborError(.revoked, "")) { try ClusterRekeys.pending(for: fixture.node.secret, in: fixture.ledger, at: Self.now) }
    }
}
