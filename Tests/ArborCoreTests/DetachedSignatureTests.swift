import Foundation
import Testing

@testable import ArborCore

@Suite("Detached hybrid signatures")
struct DetachedSignatureTests {
    let cluster: Fixtures.Cluster

    init() throws { cluster = try Fixtures.Cluster() }

    @Test("a node signs; the verifier names the signer's chain; changed content fails")
    func signAndVerify() throws {
        let (secret, chain) = try cluster.chain("eu/node-7")
        let content = Array(repeating: UInt8(7), count: 100_000)
        var hasher = DetachedSignature.ContentHasher()
        hasher.update(content[..<40_000])
        hasher.update(content[40_000...])
        #expect(hasher.finalize() == DetachedSignature.digest(of: content))
        let signature = try DetachedSignature(
            digest: DetachedSignature.digest(of: content), signer: try secret.keySet(), chain: chain, time: Fixtures.now)
        let parsed = try DetachedSignature(armored: signature.armored)
        let verified = try parsed.verify(digest: DetachedSignature.digest(of: content), verifier: cluster.verifier(), at: Fixtures.now)
        #expect(verified.leaf.path == Fixtures.path("eu/node-7"))
        var changed = content
        changed[99_999] = 8
        #expect(throws: ArborError(.invalidSignature, "")) {
            try parsed.verify(digest: DetachedSignature.digest(of: changed), verifier: cluster.verifier(), at: Fixtures.now)
        }
    }

    @Test("a revoked or unknown signer fails, and so does a key without the sign usage")
    func signerTrust() throws {
        let (secret, chain) = try cluster.chain("eu/node-7")
        let digest = DetachedSignature.digest(of: Array("release 1.0".utf8))
        let signature = try DetachedSignature(digest: digest, signer: try secret.keySet(), chain: chain, time: Fixtures.now)
        let revocation = try cluster.issuer.revoke(chain.leaf.keyID, at: chain.leaf.path, reason: .keyCompromise, time: Fixtures.now)
        #expect(throws: ArborError(.revoked, "")) {
            try signature.verify(digest: digest, verifier: cluster.verifier([revocation]), at: Fixtures.now)
        }
        #expect(throws: ArborError(.untrustedRoot, "")) {
            try signature.verify(digest: digest, verifier: try Fixtures.Cluster().verifier(), at: Fixtures.now)
        }
        let agreeOnly = try cluster.chain("eu/node-8", usage: [.keyAgreement])
        #expect(throws: ArborError(.usageNotAllowed, "")) {
            try DetachedSignature(digest: digest, signer: try agreeOnly.secret.keySet(), chain: agreeOnly.chain, time: Fixtures.now)
        }
        var bytes = signature.encoded
        bytes[bytes.count - 5] ^= 0x20
        #expect(throws: ArborError.self) {
            try DetachedSignature(encoded: bytes).verify(digest: digest, verifier: cluster.verifier(), at: Fixtures.now)
        }
    }
}
