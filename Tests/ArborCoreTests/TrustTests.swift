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
        #expect(throws: ArborError.self) { try TrustBundle(encoded: bytes) }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try TrustBundle(clusterName: "", chain: try CertificateChain([cluster.rootCertificate]))
        }
        // A bundle carries the root alone: nothing below it is imported as trusted.
        #expect(throws: ArborError(.invalidArgument, "")) {
            try TrustBundle(clusterName: "x", chain: try cluster.chain("eu").chain)
        }
    }
}
