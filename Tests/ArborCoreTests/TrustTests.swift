import Foundation
import Testing

@testable import ArborCore

@Suite("Trust between clusters")
struct TrustTests {
    @Test("a bundle round-trips and both sides compute the same safety number")
    func bundleRoundTrip() throws {
        let cluster = try Fixtures.Cluster()
        let revocation = try cluster.issuer.revoke(
            try cluster.chain("eu").chain.leaf.keyID, at: Fixtures.path("eu"), reason: .superseded, time: Fixtures.now)
        let bundle = try TrustBundle(
            clusterName: "Paris lab", chain: try CertificateChain([cluster.rootCertificate]), revocations: RevocationList([revocation]))
        let imported = try TrustBundle(armored: bundle.armored)
        #expect(imported == bundle)
        #expect(imported.safetyNumber == cluster.anchor.safetyNumber)
        #expect(imported.safetyNumber.digitGroups.count == 12)
        #expect(imported.safetyNumber.digitGroups.allSatisfy { $0.count == 5 && $0.allSatisfy(\.isNumber) })
        #expect(imported.safetyNumber.words.count == 12)
        #expect(imported.safetyNumber.matches(bundle.safetyNumber.digits))
        #expect(imported.safetyNumber.matches(bundle.safetyNumber.digitGroups.joined()))
        #expect(imported.safetyNumber.matches(bundle.safetyNumber.words.joined(separator: " ").uppercased()))
        #expect(!imported.safetyNumber.matches(try Fixtures.Cluster().anchor.safetyNumber.digits))
        #expect(!imported.safetyNumber.matches(""))
    }

    @Test("a foreign node's chain verifies only through its imported bundle")
    func foreignChain() throws {
        let home = try Fixtures.Cluster()
        let foreign = try Fixtures.Cluster()
        let chain = try foreign.chain("berlin/node-1").chain
        let withoutBundle = ChainVerifier(anchors: [home.anchor])
        #expect(throws: ArborError(.untrustedRoot, "")) { try withoutBundle.verify(chain, at: Fixtures.now) }
        let bundle = try TrustBundle(
            armored: try TrustBundle(clusterName: "berlin", chain: try CertificateChain([foreign.rootCertificate])).armored)
        let verified = try ChainVerifier(anchors: [home.anchor, bundle.anchor], revocations: bundle.revocations).verify(
            chain, at: Fixtures.now)
        #expect(verified.anchor.name == "berlin")
    }

    @Test("a bundle whose root signature is broken is refused")
    func tamperedBundle() throws {
        let cluster = try Fixtures.Cluster()
        let bundle = try TrustBundle(clusterName: "x", chain: try CertificateChain([cluster.rootCertificate]))
        var bytes = bundle.encoded
        bytes[bytes.count - 100] ^= 0x02
        #expect(throws: ArborError(.invalidSignature, "")) { try TrustBundle(encoded: bytes) }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try TrustBundle(clusterName: "", chain: try CertificateChain([cluster.rootCertificate]))
        }
        // A bundle carries the root alone: nothing below it is imported as trusted.
        #expect(throws: ArborError(.invalidArgument, "")) {
            try TrustBundle(clusterName: "x", chain: try cluster.chain("eu").chain)
        }
    }

    @Test("a trusted partner cluster cannot speak for our paths once the caller pins the cluster and path")
    func scopedTrust() throws {
        let home = try Fixtures.Cluster()
        let partner = try Fixtures.Cluster()
        let partnerAnchor = try TrustAnchor(name: "partner", rootCertificate: partner.rootCertificate)
        // The partner presents a chain for a path name of ours.
        let impostor = try partner.chain("eu/node-7").chain
        let ours = try home.chain("eu/node-7").chain
        let open = ChainVerifier(anchors: [home.anchor, partnerAnchor])
        #expect(try open.verify(impostor, at: Fixtures.now).cluster == "partner")
        #expect(try open.verify(ours, at: Fixtures.now).cluster == "test")

        let pinned = ChainVerifier(anchors: [home.anchor, partnerAnchor], scope: TrustScope(clusterRoot: home.anchor.keyID))
        #expect(throws: ArborError(.wrongCluster, "")) { try pinned.verify(impostor, at: Fixtures.now) }
        _ = try pinned.verify(ours, at: Fixtures.now)

        let underEU = ChainVerifier(anchors: [home.anchor], scope: TrustScope(pathPrefix: Fixtures.path("eu")))
        _ = try underEU.verify(ours, at: Fixtures.now)
        _ = try underEU.verify(try home.chain("eu").chain, at: Fixtures.now)
        #expect(throws: ArborError(.wrongCluster, "")) { try underEU.verify(try home.chain("us/node-1").chain, at: Fixtures.now) }
        // A prefix is a path, not a string: eu-west is not below eu, nor is eu#1.
        #expect(throws: ArborError(.wrongCluster, "")) { try underEU.verify(try home.chain("eu-west/node-1").chain, at: Fixtures.now) }
        #expect(throws: ArborError(.wrongCluster, "")) { try underEU.verify(try home.chain("eu#1/node-1").chain, at: Fixtures.now) }
        // The scope is checked after everything else: an invalid chain still fails for its own reason.
        let stranger = try Fixtures.Cluster().chain("eu/node-7").chain
        #expect(throws: ArborError(.untrustedRoot, "")) { try pinned.verify(stranger, at: Fixtures.now) }
    }
}
