import ArborCore
import ArborOperations
import Testing

/// The chain verifier assembled from explicit anchors or the trust store, extra revocations, and
/// the cluster and path pins.
@Suite struct TrustSelectionTests {
    static let now = TestCluster.now
    typealias Cluster = TestCluster

    @Test func theStoreIsTrustedWhenNoAnchorIsGiven() throws {
        let (eu, us) = (try Cluster(), try Cluster())
        let store = InMemoryTrustStore(stored: [try eu.bundle("eu"), try us.bundle("us")])
        let verified = try TrustSelection().verifier(store: store).verify(try eu.chain("eu/node-7"), at: Self.now)
        #expect(verified.cluster == "eu")
        #expect(try TrustSelection().verifier(store: store).verify(try us.chain("us/node-1"), at: Self.now).cluster == "us")
    }

    @Test func explicitAnchorsReplaceTheStore() throws {
        let (eu, us) = (try Cluster(), try Cluster())
        let store = InMemoryTrustStore(stored: [try eu.bundle("eu")])
        let selection = TrustSelection(anchors: [try TrustAnchor(name: "anchor us.cert", rootCertificate: us.certificate)])
        #expect(try selection.verifier(store: store).verify(try us.chain("us/node-1"), at: Self.now).cluster == "anchor us.cert")
        #expect(throws: ArborError(.untrustedRoot, "")) {
            try selection.verifier(store: store).verify(try eu.chain("eu/node-7"), at: Self.now)
        }
    }

    @Test func pinningByNameByKeyIDAndByPath() throws {
        let (eu, us) = (try Cluster(), try Cluster())
        let store = InMemoryTrustStore(stored: [try eu.bundle("eu"), try us.bundle("us")])
        let pinned = try TrustSelection(cluster: "eu").verifier(store: store)
        #expect(try pinned.verify(try eu.chain("eu/node-7"), at: Self.now).cluster == "eu")
        #expect(throws: ArborError(.wrongCluster, "")) { try pinned.verify(try us.chain("us/node-1"), at: Self.now) }

        let byKey = try TrustSelection(cluster: String(us.certificate.keyID.hex.prefix(8))).verifier(store: store)
        #expect(try byKey.verify(try us.chain("us/node-1"), at: Self.now).cluster == "us")

        let byPath = try TrustSelection(pathPrefix: TreePath(parsing: "eu/payments")).verifier(store: store)
        #expect(try byPath.verify(try eu.chain("eu/payments/node-1"), at: Self.now).cluster == "eu")
        #expect(throws: ArborError(.wrongCluster, "")) { try byPath.verify(try eu.chain("eu/node-7"), at: Self.now) }
    }

    @Test func anUnknownOrShortClusterNameIsRefusedWithTheTrustedOnesListed() throws {
        let eu = try Cluster()
        let store = InMemoryTrustStore(stored: [try eu.bundle("eu")])
        for wanted in ["asia", "abc", String(eu.certificate.keyID.hex.prefix(7))] {
            #expect(throws: ArborError(.untrustedRoot, "")) { try TrustSelection(cluster: wanted).verifier(store: store) }
        }
        do {
            _ = try TrustSelection(cluster: "asia").verifier(store: store)
        } catch let error as ArborError {
            #expect(error.message.contains("'eu' (\(eu.certificate.keyID.shortHex))"))
        }
    }

    @Test func revocationsFromTheSelectionAndTheStoreBothCount() throws {
        let eu = try Cluster()
        let node = try eu.chain("eu/node-7")
        let revocation = try eu.issuer.revoke(node.leaf.keyID, at: node.leaf.path, reason: .keyCompromise, time: Self.now - 10)
        let withList = TrustSelection(revocations: RevocationList([revocation]))
        #expect(throws: ArborError(.revoked, "")) {
            try withList.verifier(store: InMemoryTrustStore(stored: [try eu.bundle("eu")])).verify(node, at: Self.now)
        }
        let storeBundle = try TrustBundle(
            clusterName: "eu", chain: CertificateChain([eu.certificate]), revocations: RevocationList([revocation]))
        #expect(throws: ArborError(.revoked, "")) {
            try TrustSelection().verifier(store: InMemoryTrustStore(stored: [storeBundle])).verify(node, at: Self.now)
        }
    }
}
