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
        // One byte of the ML-DSA half, then of the Ed25519 half, flipped.
        for offset in [5, HybridSignature.encodedSize - 5] {
            var bytes = signature.encoded
            bytes[bytes.count - offset] ^= 0x20
            #expect(throws: ArborError(.invalidSignature, "")) {
                try DetachedSignature(encoded: bytes).verify(digest: digest, verifier: cluster.verifier(), at: Fixtures.now)
            }
        }
    }

    @Test("a valid signature re-encoded with an agree-only chain for the same key is refused at verification")
    func usageCheckedAtVerification() throws {
        let (secret, chain) = try cluster.chain("eu/node-7")
        let digest = DetachedSignature.digest(of: Array("release 1.0".utf8))
        let signature = try DetachedSignature(digest: digest, signer: try secret.keySet(), chain: chain, time: Fixtures.now)
        // The same path and epoch give the same keys: only the usage differs.
        let agreeOnly = try cluster.chain("eu/node-7", usage: [.keyAgreement]).chain
        #expect(agreeOnly.leaf.keyID == chain.leaf.keyID)
        var writer = ByteWriter()
        writer.append(raw: DetachedSignature.magic)
        writer.append(DetachedSignature.version)
        writer.append(signature.time)
        writer.append(long: agreeOnly.encoded)
        signature.signature.encode(into: &writer)
        let reencoded = try DetachedSignature(encoded: writer.bytes)
        #expect(reencoded.signerChain == agreeOnly)
        #expect(throws: ArborError(.usageNotAllowed, "")) {
            try reencoded.verify(digest: digest, verifier: cluster.verifier(), at: Fixtures.now)
        }
        #expect(try signature.verify(digest: digest, verifier: cluster.verifier(), at: Fixtures.now).leaf.path == chain.leaf.path)
    }
}
