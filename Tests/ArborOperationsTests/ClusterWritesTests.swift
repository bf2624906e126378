import ArborCore
import ArborOperations
import Testing

/// What a node writes to the cluster state is what every reader accepts, at the next sequence;
/// what readers would refuse is refused at the writer, with the same reason.
@Suite struct ClusterWritesTests {
    static let now = TestCluster.now

    @Test func writesApplyInOrderAtTheNextSequence() throws {
        let cluster = try TestCluster()
        var ledger = ClusterLedger(root: try TrustAnchor(name: "home", rootCertificate: cluster.certificate))
        let eu = try cluster.issuer.certify(TreePath(parsing: "eu"), usage: .all, validity: TestCluster.validity)
        let euIssuer = try Issuer(secret: eu.secret, chain: eu.chain)
        let node = try euIssuer.certify(TreePath(parsing: "eu/node-7"), usage: .all, validity: TestCluster.validity)

        let enrolment = try ClusterWrites.enroll(
            try ClusterMember(addresses: ["10.0.0.7:7443"], chain: node.chain), by: euIssuer, after: ledger, at: Self.now)
        try ledger.apply(enrolment.value, storedAt: enrolment.key, at: Self.now)
        let announce = try ClusterWrites.announce(
            addresses: ["10.0.0.17:7443"], secret: node.secret, chain: node.chain, after: ledger, at: Self.now)
        try ledger.apply(announce.value, storedAt: announce.key, at: Self.now)
        #expect(announce.key == enrolment.key)
        #expect(try ClusterRecord(encoded: announce.value).sequence == 2)
        #expect(ledger.members[node.secret.path]?.addresses == ["10.0.0.17:7443"])

        var keyring = try MeshKeyring.create(name: "payments", owner: eu.secret)
        try keyring.rotate(owner: eu.secret)
        let published = try ClusterWrites.publish(keyring, secret: eu.secret, chain: eu.chain, after: ledger, at: Self.now)
        try ledger.apply(published.value, storedAt: published.key, at: Self.now)

        let partner = try TestCluster().bundle("partner")
        let trusted = try ClusterWrites.trust(partner, by: cluster.issuer, after: ledger, at: Self.now)
        try ledger.apply(trusted.value, storedAt: trusted.key, at: Self.now)
        #expect(ledger.trustBundles["partner"] == partner)

        let revocation = try euIssuer.revoke(node.chain.leaf.keyID, at: node.secret.path, reason: .keyCompromise, time: Self.now)
        let revoked = try ClusterWrites.revoke(revocation, by: euIssuer, after: ledger, at: Self.now)
        try ledger.apply(revoked.value, storedAt: revoked.key, at: Self.now)
        #expect(ledger.revocations.revocations == [revocation])
        // The revoked node can no longer announce itself.
        #expect(throws: ArborError(.revoked, "")) {
            try ClusterWrites.announce(addresses: ["x:1"], secret: node.secret, chain: node.chain, after: ledger, at: Self.now)
        }
    }

    @Test func whatReadersWouldRefuseIsRefusedAtTheWriter() throws {
        let cluster = try TestCluster()
        let ledger = ClusterLedger(root: try TrustAnchor(name: "home", rootCertificate: cluster.certificate))
        let eu = try cluster.issuer.certify(TreePath(parsing: "eu"), usage: .all, validity: TestCluster.validity)
        let us = try cluster.issuer.certify(TreePath(parsing: "us"), usage: .all, validity: TestCluster.validity)
        let node = try cluster.issuer.certify(TreePath(parsing: "eu/node-7"), usage: .all, validity: TestCluster.validity)
        // A node of another branch enrols eu/node-7; a non-root writes a trust bundle.
        #expect(throws: ArborError(.notAuthorised, "")) {
            try ClusterWrites.enroll(
                try ClusterMember(addresses: ["a:1"], chain: node.chain), by: try Issuer(secret: us.secret, chain: us.chain), after: ledger,
                at: Self.now)
        }
        #expect(throws: ArborError(.notAuthorised, "")) {
            try ClusterWrites.trust(
                try TestCluster().bundle("partner"), by: try Issuer(secret: eu.secret, chain: eu.chain), after: ledger, at: Self.now)
        }
    }
}
