import Foundation
import Testing

@testable import ArborCore

/// The attacks of the security review on revocation and chain verification, each performed and
/// refused: a thief of a node key file presenting earlier epochs, revocations by non-ancestors,
/// and a root certificate smuggled into a chain.
@Suite("Compromise revocation and chain verification attacks")
struct CompromiseRevocationTests {
    let cluster: Fixtures.Cluster
    let region: Issuer

    init() throws {
        cluster = try Fixtures.Cluster()
        let eu = try cluster.chain("eu")
        region = try Issuer(secret: eu.secret, chain: eu.chain)
    }

    /// What a thief of `eu/node-7`'s key file can make: its chain at epoch 0 (kept from before),
    /// later self-rekeys, and children certified with the epoch-0 key.
    struct Stolen {
        let epoch0: CertificateChain
        let epoch2: CertificateChain
        let child: CertificateChain
        let secret: NodeSecret
    }

    func stolenNode() throws -> Stolen {
        let node = try region.certify(Fixtures.path("eu/node-7"), usage: .all, validity: Fixtures.validity)
        let epoch1 = try SelfRekey.advance(node.secret, chain: node.chain, validity: Fixtures.validity)
        let epoch2 = try SelfRekey.advance(epoch1.secret, chain: epoch1.chain, validity: Fixtures.validity)
        let thief = try Issuer(secret: node.secret, chain: node.chain)
        let child = try thief.certify(Fixtures.path("eu/node-7/db"), usage: .all, validity: Fixtures.validity)
        return Stolen(epoch0: node.chain, epoch2: epoch2.chain, child: child.chain, secret: epoch2.secret)
    }

    @Test("key-compromise of the current epoch revokes every epoch of the branch, and the thief's children")
    func compromiseCoversBranch() throws {
        let stolen = try stolenNode()
        let current = stolen.epoch2.leaf
        #expect(current.epoch == 2)
        let compromise = try region.revoke(current.keyID, at: current.path, reason: .keyCompromise, time: Fixtures.now)
        #expect(compromise.coversBranch)
        let verifier = cluster.verifier([compromise])
        #expect(throws: ArborError(.revoked, "")) { try verifier.verify(stolen.epoch2, at: Fixtures.now) }
        // The attack: the thief keeps presenting epoch 0, and certifies children with it.
        #expect(throws: ArborError(.revoked, "")) { try verifier.verify(stolen.epoch0, at: Fixtures.now) }
        #expect(throws: ArborError(.revoked, "")) { try verifier.verify(stolen.child, at: Fixtures.now) }
        // Or asks nobody and certifies a later epoch itself, or the parent re-issues an epoch directly.
        let epoch3 = try SelfRekey.advance(stolen.secret, chain: stolen.epoch2, validity: Fixtures.validity)
        #expect(throws: ArborError(.revoked, "")) { try verifier.verify(epoch3.chain, at: Fixtures.now) }
        let reissued = try region.certify(Fixtures.path("eu/node-7"), epoch: 5, usage: .all, validity: Fixtures.validity)
        #expect(throws: ArborError(.revoked, "")) { try verifier.verify(reissued.chain, at: Fixtures.now) }

        // The node moved to its next branch by its parent, its sibling and its parent stay valid.
        let moved = try region.rekeyToNewBranch(Fixtures.path("eu/node-7"), usage: .all, validity: Fixtures.validity)
        #expect(moved.chain.leaf.path.description == "eu/node-7#1")
        _ = try verifier.verify(moved.chain, at: Fixtures.now)
        _ = try verifier.verify(
            try region.certify(Fixtures.path("eu/node-8"), usage: .all, validity: Fixtures.validity).chain, at: Fixtures.now)
        _ = try verifier.verify(region.chain, at: Fixtures.now)
    }

    @Test("a compromise of branch #1 leaves branch 0 alone, and the reverse")
    func branchesAreSeparate() throws {
        let moved = try region.rekeyToNewBranch(Fixtures.path("eu/node-7"), usage: .all, validity: Fixtures.validity)
        let original = try region.certify(Fixtures.path("eu/node-7"), usage: .all, validity: Fixtures.validity)
        let compromiseOfMoved = try region.revoke(
            moved.chain.leaf.keyID, at: moved.chain.leaf.path, reason: .keyCompromise, time: Fixtures.now)
        _ = try cluster.verifier([compromiseOfMoved]).verify(original.chain, at: Fixtures.now)
        #expect(throws: ArborError(.revoked, "")) { try cluster.verifier([compromiseOfMoved]).verify(moved.chain, at: Fixtures.now) }
        let compromiseOfOriginal = try region.revoke(
            original.chain.leaf.keyID, at: original.chain.leaf.path, reason: .keyCompromise, time: Fixtures.now)
        _ = try cluster.verifier([compromiseOfOriginal]).verify(moved.chain, at: Fixtures.now)
    }

    @Test("other reasons revoke the one key: a superseded epoch leaves the others valid")
    func supersededIsOneKey() throws {
        let stolen = try stolenNode()
        let superseded = try region.revoke(stolen.epoch0.leaf.keyID, at: stolen.epoch0.leaf.path, reason: .superseded, time: Fixtures.now)
        #expect(!superseded.coversBranch)
        #expect(throws: ArborError(.revoked, "")) { try cluster.verifier([superseded]).verify(stolen.epoch0, at: Fixtures.now) }
        let direct = try region.certify(Fixtures.path("eu/node-7"), epoch: 2, usage: .all, validity: Fixtures.validity)
        _ = try cluster.verifier([superseded]).verify(direct.chain, at: Fixtures.now)
    }

    @Test("a compromise revocation by a key outside the chain has no effect")
    func foreignCompromise() throws {
        let stolen = try stolenNode()
        // Another cluster's eu, with a valid signature, names our eu/node-7.
        let outsider = try Fixtures.Cluster()
        let outsiderRegion = try outsider.chain("eu")
        let foreign = try Issuer(secret: outsiderRegion.secret, chain: outsiderRegion.chain).revoke(
            stolen.epoch0.leaf.keyID, at: stolen.epoch0.leaf.path, reason: .keyCompromise, time: Fixtures.now)
        _ = try cluster.verifier([foreign]).verify(stolen.epoch0, at: Fixtures.now)
        _ = try cluster.verifier([foreign]).verify(stolen.epoch2, at: Fixtures.now)
    }

    @Test("a revocation whose revoker is not an ancestor of the revoked path is refused when read")
    func revokerNotAncestor() throws {
        let node = try region.certify(Fixtures.path("eu/node-7"), usage: .all, validity: Fixtures.validity)
        let genuine = try region.revoke(node.chain.leaf.keyID, at: node.chain.leaf.path, reason: .keyCompromise, time: Fixtures.now)
        // Re-aim it at us/node-7 (same encoded length): eu is not an ancestor of it.
        let from = Fixtures.path("eu/node-7").encoded
        let to = Fixtures.path("us/node-7").encoded
        #expect(from.count == to.count)
        var bytes = genuine.encoded
        let start = try #require(Self.firstIndex(of: from, in: bytes))
        bytes.replaceSubrange(start..<start + from.count, with: to)
        #expect(throws: ArborError(.wrongIssuer, "")) { try Revocation(encoded: bytes) }
        // Creating one needs the same ancestry: a node cannot revoke its sibling or its parent.
        let sibling = try Issuer(secret: node.secret, chain: node.chain)
        #expect(throws: ArborError(.wrongIssuer, "")) {
            try sibling.revoke(region.chain.leaf.keyID, at: region.chain.leaf.path, reason: .keyCompromise, time: Fixtures.now)
        }
        #expect(throws: ArborError(.wrongIssuer, "")) {
            try sibling.revoke(node.chain.leaf.keyID, at: Fixtures.path("eu/node-8"), reason: .keyCompromise, time: Fixtures.now)
        }
    }

    @Test("a root certificate inside a chain is refused")
    func rootInsideChain() throws {
        let node = try cluster.chain("eu/node-7")
        // The root signs a second "root" certificate for another key and the chain continues from it.
        let other = try Fixtures.Cluster()
        let smuggled = try KeyCertificate.signed(
            kind: .root, subject: try other.root.node.keySet(), usage: .all, validity: Fixtures.validity,
            issuer: try cluster.root.node.keySet())
        let chain = try CertificateChain([cluster.rootCertificate, smuggled] + Array(node.chain.certificates.dropFirst()))
        #expect(throws: ArborError(.wrongIssuer, "")) { try cluster.verifier().verify(chain, at: Fixtures.now) }
        // The other root's own self-signed certificate in second place: wrong issuer too.
        let selfSigned = try CertificateChain([cluster.rootCertificate, other.rootCertificate])
        #expect(throws: ArborError(.wrongIssuer, "")) { try cluster.verifier().verify(selfSigned, at: Fixtures.now) }
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<$0 + needle.count]) == needle }
    }
}
