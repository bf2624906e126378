/// The node's signature over the chain's latest hash: it fixes every entry up to `sequence`, so
/// rewriting any of them (even recomputing every hash after it) no longer matches a signed head.
/// The node signs a head periodically and at shutdown. Byte layout in docs/audit.md.
public struct AuditHead: Sendable, Equatable {
    public let sequence: UInt64
    /// The hash of entry `sequence`.
    public let hash: [UInt8]
    /// Milliseconds since 1970, when the head was signed.
    public let time: Int64
    /// The signing node's key identifier.
    public let signerKeyID: KeyID
    let signature: HybridSignature

    static let domain = "arbor/v1/audit-head"

    static func body(sequence: UInt64, hash: [UInt8], time: Int64) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(Int64(bitPattern: sequence))
        writer.append(raw: hash)
        writer.append(time)
        return writer.bytes
    }

    /// Signs the head of a chain whose last entry is `entry`.
    public init(signing entry: AuditEntry, time: Int64, with node: NodeKeySet) throws {
        sequence = entry.sequence
        hash = entry.hash
        self.time = time
        signerKeyID = node.keyID
        signature = try HybridSignature.sign(domain: Self.domain, body: Self.body(sequence: sequence, hash: hash, time: time), with: node)
    }

    /// A head as read from the log; `isSigned(by:)` checks it.
    public init(sequence: UInt64, hash: [UInt8], time: Int64, signerKeyID: KeyID, signature: [UInt8]) throws {
        guard hash.count == AuditEntry.hashSize, signature.count == HybridSignature.encodedSize else {
            throw ArborError.malformed("an audit head has a 32-byte hash and a \(HybridSignature.encodedSize)-byte signature")
        }
        self.sequence = sequence
        self.hash = hash
        self.time = time
        self.signerKeyID = signerKeyID
        var reader = ByteReader(signature, context: "an audit head signature")
        self.signature = try HybridSignature.decode(from: &reader)
    }

    public var signatureBytes: [UInt8] {
        var writer = ByteWriter()
        signature.encode(into: &writer)
        return writer.bytes
    }

    /// Both halves verify under `keys`, whose identifier is the head's signer.
    public func isSigned(by keys: PublicKeySet) -> Bool {
        keys.keyID == signerKeyID
            && signature.isValid(domain: Self.domain, body: Self.body(sequence: sequence, hash: hash, time: time), publicKeys: keys)
    }
}
