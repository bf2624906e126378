import Crypto
import Foundation

/// A detached hybrid signature (Ed25519 and ML-DSA-65) by a node over a file or message, carrying
/// the signer's certificate chain so a verifier needs only its trust anchors and revocation lists.
/// Byte layout in docs/formats.md, "Detached signature".
public struct DetachedSignature: Sendable, Equatable {
    public static let armorLabel = "ARBOR SIGNATURE"
    static let magic = Array("ARSG".utf8)
    static let version: UInt8 = 1
    static let signatureDomain = "arbor/v1/detached-signature"

    public let signerChain: CertificateChain
    /// Unix seconds at which the signer signed.
    public let time: Int64
    let signature: HybridSignature

    /// SHA-512 of the content, fed in pieces so files of any size hash in constant memory.
    public struct ContentHasher: Sendable {
        private var hasher = SHA512()
        public init() {}
        public mutating func update(_ bytes: some DataProtocol) { hasher.update(data: bytes) }
        public func finalize() -> [UInt8] { Array(hasher.finalize()) }
    }

    public static func digest(of content: some DataProtocol) -> [UInt8] { Array(SHA512.hash(data: content)) }

    /// Signs a content digest with the signer's keys; `chain` must end with those keys and allow signing.
    public init(digest: [UInt8], signer: NodeKeySet, chain: CertificateChain, time: Int64) throws {
        guard digest.count == 64 else { throw ArborError(.invalidArgument, "the content digest is SHA-512 (64 bytes)") }
        guard chain.leaf.keyID == signer.keyID else {
            throw ArborError(.invalidArgument, "the chain does not end with the signer's key; pass the chain that belongs to this key file")
        }
        guard chain.leaf.usage.contains(.sign) else {
            throw ArborError(.usageNotAllowed, "\(chain.leaf.path) may not sign: its certificate lacks the sign usage")
        }
        signerChain = chain
        self.time = time
        signature = try HybridSignature.sign(
            domain: Self.signatureDomain, body: Self.body(digest: digest, keyID: signer.keyID, time: time), with: signer)
    }

    /// body = SHA-512(content) ‖ signer key id ‖ i64 time.
    static func body(digest: [UInt8], keyID: KeyID, time: Int64) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: digest)
        writer.append(raw: keyID.bytes)
        writer.append(time)
        return writer.bytes
    }

    /// Verifies the signer's chain (trusted root, not revoked, valid at `time`), that it may sign,
    /// and the signature over the digest. Returns the verified chain, which names the signer.
    public func verify(digest: [UInt8], verifier: ChainVerifier, at time: Int64) throws -> ChainVerifier.VerifiedChain {
        let verified = try verifier.verify(signerChain, at: time)
        guard verified.leaf.usage.contains(.sign) else {
            throw ArborError(.usageNotAllowed, "\(verified.leaf.path) may not sign: its certificate lacks the sign usage")
        }
        let body = Self.body(digest: digest, keyID: verified.leaf.keyID, time: self.time)
        guard digest.count == 64, signature.isValid(domain: Self.signatureDomain, body: body, publicKeys: verified.leaf.publicKeys) else {
            throw ArborError(.invalidSignature, "the signature does not match this content: the content changed or the signature is forged")
        }
        return verified
    }

    /// magic "ARSG", version, i64 time, long-field chain, hybrid signature.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Self.magic)
        writer.append(Self.version)
        writer.append(time)
        writer.append(long: signerChain.encoded)
        signature.encode(into: &writer)
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a signature")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "signature")
        time = try reader.readInt64()
        signerChain = try CertificateChain(encoded: try reader.readLongField(maximum: 1 << 24))
        signature = try HybridSignature.decode(from: &reader)
        try reader.expectEnd()
    }

    public var armored: String { Armor.encode(encoded, label: Self.armorLabel) }

    public init(armored text: String) throws { try self.init(encoded: try Armor.decode(text, label: Self.armorLabel)) }
}
