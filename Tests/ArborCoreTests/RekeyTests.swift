import Foundation
import Testing

@testable import ArborCore

@Suite("Rekey")
struct RekeyTests {
    let cluster: Fixtures.Cluster

    init() throws { cluster = try Fixtures.Cluster() }

    @Test("self-rekey: new keys, same node, same parent, and the parent can derive them")
    func selfRekeyAccepted() throws {
        let (secret, chain) = try cluster.chain("eu/node-7")
        let first = try SelfRekey.advance(secret, chain: chain, validity: Fixtures.validity)
        let second = try SelfRekey.advance(first.secret, chain: first.chain, validity: Fixtures.validity)
        let verified = try cluster.verifier().verify(second.chain, at: Fixtures.now)
        #expect(verified.leaf.path == chain.leaf.path)
        #expect(verified.leaf.epoch == 2)
        #expect(verified.leaf.keyID != chain.leaf.keyID)
        #expect(Array(second.chain.certificates.prefix(3)) == chain.certificates)  // same parent, same first key
        let parentDerived = try cluster.root.node.descendant(Fixtures.path("eu/node-7")).atEpoch(2).keySet()
        #expect(parentDerived.keyID == verified.leaf.keyID)
    }

    @Test("the parent can certify a later epoch directly, giving a self-rekeyed node a short chain again")
    func parentCertifiesLaterEpoch() throws {
        var (secret, chain) = try cluster.chain("eu/node-7")
        for _ in 0..<3 { (secret, chain) = try SelfRekey.advance(secret, chain: chain, validity: Fixtures.validity) }
        #expect(chain.certificates.count == 6)
        let compact = try cluster.issuer.certify(Fixtures.path("eu/node-7"), epoch: 3, usage: .all, validity: Fixtures.validity)
        #expect(compact.chain.certificates.count == 3)
        #expect(compact.chain.leaf.keyID == chain.leaf.keyID)
        _ = try cluster.verifier().verify(compact.chain, at: Fixtures.now)
    }

    @Test("a forged rekey is rejected: wrong signer, skipped epoch, other path, widened usage")
    func forgedRekeyRejected() throws {
        let (secret, chain) = try cluster.chain("eu/node-7", usage: [.sign, .keyAgreement])
        let current = try secret.keySet()
        let next = try secret.atEpoch(1).keySet()
        let sibling = try cluster.root.node.descendant(Fixtures.path("eu/node-8")).keySet()
        let verifier = cluster.verifier()

        let wrongSigner = try KeyCertificate.signed(
            kind: .selfRekey, subject: next, usage: [.sign], validity: Fixtures.validity, issuer: sibling)
        #expect(throws: ArborError(.wrongIssuer, "")) { try verifier.verify(try chain.appending(wrongSigner), at: Fixtures.now) }

        let skipped = try KeyCertificate.signed(
            kind: .selfRekey, subject: try secret.atEpoch(2).keySet(), usage: [.sign], validity: Fixtures.validity, issuer: current)
        #expect(throws: ArborError(.invalidRekey, "")) { try verifier.verify(try chain.appending(skipped), at: Fixtures.now) }

        let siblingNext = try cluster.root.node.descendant(Fixtures.path("eu/node-8")).atEpoch(1).keySet()
        let otherPath = try KeyCertificate.signed(
            kind: .selfRekey, subject: siblingNext, usage: [.sign], validity: Fixtures.validity, issuer: current)
        #expect(throws: ArborError(.invalidRekey, "")) { try verifier.verify(try chain.appending(otherPath), at: Fixtures.now) }

        let widened = try KeyCertificate.signed(kind: .selfRekey, subject: next, usage: .all, validity: Fixtures.validity, issuer: current)
        #expect(throws: ArborError(.usageNotAllowed, "")) { try verifier.verify(try chain.appending(widened), at: Fixtures.now) }

        let genuine = try SelfRekey.advance(secret, chain: chain, validity: Fixtures.validity)
        var tampered = genuine.chain.leaf.encoded
        tampered[200] ^= 1
        #expect(throws: ArborError(.invalidSignature, "")) {
            try verifier.verify(try chain.appending(try KeyCertificate(encoded: tampered)), at: Fixtures.now)
        }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try SelfRekey.advance(secret, chain: genuine.chain, validity: Fixtures.validity)
        }
    }

    @Test("parent-ordered rekey: the node moves to a fresh branch; the old key is revoked as superseded")
    func parentOrdered() throws {
        let old = try cluster.chain("eu/node-7")
        let moved = try cluster.issuer.rekeyToNewBranch(Fixtures.path("eu/node-7"), usage: .all, validity: Fixtures.validity)
        #expect(moved.chain.leaf.path.description == "eu/node-7#1")
        #expect(moved.chain.leaf.keyID != old.chain.leaf.keyID)
        let revocation = try cluster.issuer.revoke(old.chain.leaf.keyID, at: old.chain.leaf.path, reason: .superseded, time: Fixtures.now)
        let verifier = cluster.verifier([revocation])
        _ = try verifier.verify(moved.chain, at: Fixtures.now)
        #expect(throws: ArborError(.revoked, "")) { try verifier.verify(old.chain, at: Fixtures.now) }
        // The old node's secret cannot reach the new branch: it is a sibling.
        #expect(throws: ArborError(.invalidPath, "")) { try old.secret.descendant(moved.chain.leaf.path) }
    }

    @Test("a key file holds the node's path, epoch and secret")
    func nodeKeyFile() throws {
        let (secret, chain) = try cluster.chain("eu/node-7")
        let next = try SelfRekey.advance(secret, chain: chain, validity: Fixtures.validity).secret
        let decoded = try NodeKeyFile.decode(NodeKeyFile.encode(next))
        #expect(decoded.path == next.path)
        #expect(decoded.epoch == 1)
        #expect(try decoded.keySet().keyID == next.keySet().keyID)
        let encoded = NodeKeyFile.encode(next)
        #expect(throws: ArborError(.corruptFile, "")) { try NodeKeyFile.decode(encoded.prefix(encoded.count - 40)) }
        // The armored file is what Armor.encode makes of the same bytes (docs/keys.md §11).
        let text = encoded.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(text.hasPrefix("-----BEGIN ARBOR NODE KEY-----\n"))
        #expect(try Armor.encode(Armor.decode(text, label: NodeKeyFile.armorLabel), label: NodeKeyFile.armorLabel) == text)
    }
}
