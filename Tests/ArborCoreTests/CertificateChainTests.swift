import Foundation
import Testing

@testable import ArborCore

@Suite("Certificates and chain verification")
struct CertificateChainTests {
    let cluster: Fixtures.Cluster

    init() throws { cluster = try Fixtures.Cluster() }

    @Test("a chain issued by the root verifies, and its encoding round-trips")
    func validChain() throws {
        let (secret, chain) = try cluster.chain("eu/node-7")
        #expect(chain.certificates.map(\.path.description) == ["/", "eu", "eu/node-7"])
        #expect(chain.leaf.keyID == (try secret.keySet().keyID))
        let verified = try cluster.verifier().verify(chain, at: Fixtures.now)
        #expect(verified.leaf.path == Fixtures.path("eu/node-7"))
        #expect(try CertificateChain(armored: chain.armored) == chain)
        #expect(try CertificateChain(encoded: chain.encoded).leaf.keyID == chain.leaf.keyID)
    }

    @Test("an intermediate node issues for its own subtree")
    func intermediateIssuer() throws {
        let (secret, chain) = try cluster.chain("eu")
        let regional = try Issuer(secret: secret, chain: chain)
        let issued = try regional.certify(Fixtures.path("eu/node-9/db"), usage: [.sign], validity: Fixtures.validity)
        _ = try cluster.verifier().verify(issued.chain, at: Fixtures.now)
        #expect(throws: ArborError(.invalidPath, "")) {
            try regional.certify(Fixtures.path("us/node-1"), usage: .all, validity: Fixtures.validity)
        }
    }

    @Test("expired and not-yet-valid certificates fail")
    func validityWindow() throws {
        let chain = try cluster.chain("eu/node-7").chain
        #expect(throws: ArborError(.certificateExpired, "")) {
            try cluster.verifier().verify(chain, at: Fixtures.validity.notAfter + 1)
        }
        #expect(throws: ArborError(.certificateNotYetValid, "")) {
            try cluster.verifier().verify(chain, at: Fixtures.validity.notBefore - 1)
        }
    }

    @Test("a certificate signed by the wrong parent fails")
    func wrongParent() throws {
        let root = try cluster.root.node.keySet()
        let eu = try cluster.root.node.descendant(Fixtures.path("eu")).keySet()
        let us = try cluster.root.node.descendant(Fixtures.path("us")).keySet()
        let node = try cluster.root.node.descendant(Fixtures.path("eu/node-7")).keySet()
        let usCertificate = try KeyCertificate.issue(for: us, by: root, validity: Fixtures.validity)
        // us signs for eu/node-7: the library refuses, and a forged chain does not verify.
        #expect(throws: ArborError(.wrongIssuer, "")) { try KeyCertificate.issue(for: node, by: us, validity: Fixtures.validity) }
        let forged = try KeyCertificate.signed(kind: .issuedByParent, subject: node, usage: .all, validity: Fixtures.validity, issuer: us)
        let chain = try CertificateChain([cluster.rootCertificate, usCertificate, forged])
        #expect(throws: ArborError(.wrongIssuer, "")) { try cluster.verifier().verify(chain, at: Fixtures.now) }
        // The right parent's certificate, with the wrong parent in front of it.
        let genuine = try KeyCertificate.issue(for: node, by: eu, validity: Fixtures.validity)
        #expect(throws: ArborError(.wrongIssuer, "")) {
            try cluster.verifier().verify(try CertificateChain([cluster.rootCertificate, usCertificate, genuine]), at: Fixtures.now)
        }
    }

    @Test("a parent without the certify usage cannot vouch for children")
    func usage() throws {
        let (secret, chain) = try cluster.chain("eu", usage: [.sign, .keyAgreement])
        #expect(throws: ArborError(.usageNotAllowed, "")) { try Issuer(secret: secret, chain: chain) }
        let child = try secret.descendant(Fixtures.path("eu/node-1")).keySet()
        let forged = try KeyCertificate.issue(for: child, by: try secret.keySet(), validity: Fixtures.validity)
        #expect(throws: ArborError(.usageNotAllowed, "")) {
            try cluster.verifier().verify(try chain.appending(forged), at: Fixtures.now)
        }
    }

    @Test("a revoked key fails, and so does everything under it; siblings are unaffected")
    func revokedAncestor() throws {
        let region = try cluster.chain("eu")
        let node = try cluster.chain("eu/node-7")
        let sibling = try cluster.chain("us/node-1")
        let revocation = try cluster.issuer.revoke(
            region.chain.leaf.keyID, at: Fixtures.path("eu"), reason: .keyCompromise, time: Fixtures.now)
        let verifier = cluster.verifier([revocation])
        #expect(throws: ArborError(.revoked, "")) { try verifier.verify(region.chain, at: Fixtures.now) }
        #expect(throws: ArborError(.revoked, "")) { try verifier.verify(node.chain, at: Fixtures.now) }
        _ = try verifier.verify(sibling.chain, at: Fixtures.now)
    }

    @Test("an intermediate node revokes its descendants but not its siblings' or parent")
    func intermediateRevoker() throws {
        let region = try cluster.chain("eu")
        let regional = try Issuer(secret: region.secret, chain: region.chain)
        let node = try regional.certify(Fixtures.path("eu/node-7"), usage: .all, validity: Fixtures.validity)
        let revocation = try regional.revoke(node.chain.leaf.keyID, at: node.chain.leaf.path, reason: .superseded, time: Fixtures.now)
        #expect(throws: ArborError(.revoked, "")) { try cluster.verifier([revocation]).verify(node.chain, at: Fixtures.now) }
        #expect(throws: ArborError(.wrongIssuer, "")) {
            try regional.revoke(cluster.rootCertificate.keyID, at: .root, reason: .keyCompromise, time: Fixtures.now)
        }
        // A revocation signed by a key outside the chain is not honoured, even with a valid signature.
        let outsider = try Fixtures.Cluster()
        let foreign = try outsider.issuer.revoke(
            node.chain.leaf.keyID, at: node.chain.leaf.path, reason: .keyCompromise, time: Fixtures.now)
        _ = try cluster.verifier([foreign]).verify(node.chain, at: Fixtures.now)
    }

    @Test("no tampered byte ever verifies")
    func tampering() throws {
        let chain = try cluster.chain("eu/node-7").chain
        let bytes = chain.encoded
        let verifier = cluster.verifier()
        var rejected = 0
        for index in Array(stride(from: 0, to: bytes.count, by: 97)) + [bytes.count - 1] {
            var damaged = bytes
            damaged[index] ^= 0x01
            do {
                let parsed = try CertificateChain(encoded: damaged)
                _ = try verifier.verify(parsed, at: Fixtures.now)
                Issue.record("a chain with byte \(index) flipped verified")
            } catch is ArborError {
                rejected += 1
            }
        }
        #expect(rejected > 100)
    }

    @Test("a chain from an unknown root fails as untrusted")
    func untrustedRoot() throws {
        let stranger = try Fixtures.Cluster()
        let chain = try stranger.chain("eu/node-7").chain
        #expect(throws: ArborError(.untrustedRoot, "")) { try cluster.verifier().verify(chain, at: Fixtures.now) }
    }

    @Test("revocation lists merge, deduplicate and reject a tampered entry")
    func revocationLists() throws {
        let first = try cluster.issuer.revoke(
            try cluster.chain("eu").chain.leaf.keyID, at: Fixtures.path("eu"), reason: .superseded, time: Fixtures.now)
        let second = try cluster.issuer.revoke(
            try cluster.chain("us").chain.leaf.keyID, at: Fixtures.path("us"), reason: .keyCompromise, time: Fixtures.now)
        let merged = RevocationList([first]).merging(RevocationList([second, first]))
        #expect(merged.revocations.count == 2)
        #expect(merged == RevocationList([second]).merging(RevocationList([first])))
        #expect(try RevocationList(armored: merged.armored) == merged)
        var bytes = merged.encoded
        bytes[bytes.count - 10] ^= 0x40
        #expect(throws: ArborError(.invalidSignature, "")) { try RevocationList(encoded: bytes) }
    }
}
