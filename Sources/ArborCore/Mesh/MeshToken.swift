import Crypto
import Foundation

/// The compact mesh token: a 40-byte provenance header, the AEAD ciphertext and tag, and an
/// optional origin signature. 56 bytes of overhead without a signature. Text form
/// `arbor:v1:` + base64url without padding, in the manner of Vault Transit's `vault:v1:`.
/// Byte layout in docs/formats.md, "Mesh token".
public struct MeshToken: Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let headerSize = 40
    public static let tagSize = 16
    public static let textPrefix = "arbor:v1:"
    static let signedFlag: UInt8 = 0x80
    static let hybridFlag: UInt8 = 0x40
    static let rewrapFlag: UInt8 = 0x20
    static let cipherMask: UInt8 = 0x1f

    public let provenance: Provenance
    /// AEAD ciphertext followed by its 16-byte tag.
    let sealed: [UInt8]
    /// The origin signature, when the token is signed.
    public let signature: OriginSignature?

    init(provenance: Provenance, sealed: [UInt8], signature: OriginSignature?) {
        self.provenance = provenance
        self.sealed = sealed
        self.signature = signature
    }

    /// version, flags, keyring id (4), epoch (u32), nonce (16), time (u48 milliseconds), origin id (8).
    var header: [UInt8] { Self.header(provenance: provenance, signature: signature.map { ($0.kind, $0.isRewrapAttestation) }) }

    /// Flags: bit 7 signed, bit 6 hybrid signature, bit 5 rewrap attestation, bits 0–4 the cipher.
    static func header(provenance: Provenance, signature: (kind: OriginSignature.Kind, rewrap: Bool)?) -> [UInt8] {
        var flags = provenance.cipher.rawValue
        if let signature {
            flags |= signedFlag
            if signature.kind == .hybrid { flags |= hybridFlag }
            if signature.rewrap { flags |= rewrapFlag }
        }
        var writer = ByteWriter()
        writer.append(Self.version)
        writer.append(flags)
        writer.append(raw: provenance.keyringID)
        writer.append(provenance.epoch)
        writer.append(raw: provenance.nonce)
        let time = UInt64(provenance.time)
        for shift in stride(from: 40, through: 0, by: -8) { writer.append(UInt8(truncatingIfNeeded: time >> UInt64(shift))) }
        writer.append(raw: provenance.originID)
        return writer.bytes
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: header)
        if let signature {
            writer.append(UInt32(sealed.count))
            writer.append(raw: sealed)
            signature.origin.encode(into: &writer)
            if signature.isRewrapAttestation { signature.signer.encode(into: &writer) }
            writer.append(raw: signature.bytes)
        } else {
            writer.append(raw: sealed)
        }
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "the mesh token")
        guard bytes.count >= Self.headerSize + Self.tagSize else {
            throw ArborError(.truncated, "the mesh token is shorter than its header and tag (\(bytes.count) bytes)")
        }
        let version = try reader.readUInt8()
        guard version == Self.version else { throw ArborError(.unsupportedVersion, "mesh token version \(version) is not supported") }
        let flags = try reader.readUInt8()
        guard let cipher = MeshKeyring.Cipher(rawValue: flags & Self.cipherMask) else {
            throw ArborError.malformed("the mesh token names an unknown cipher")
        }
        let signed = flags & Self.signedFlag != 0
        let hybrid = flags & Self.hybridFlag != 0
        let rewrap = flags & Self.rewrapFlag != 0
        guard signed || !hybrid, hybrid || !rewrap else {
            throw ArborError.malformed("the mesh token's flags are inconsistent (a hybrid or rewrap flag without a signature)")
        }
        let keyringID = try reader.read(count: 4)
        let epoch = try reader.readUInt32()
        let nonce = try reader.read(count: Provenance.nonceSize)
        let time = Int64(try reader.read(count: 6).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let originID = try reader.read(count: Provenance.originIDSize)
        provenance = Provenance(keyringID: keyringID, epoch: epoch, cipher: cipher, nonce: nonce, time: time, originID: originID)
        if signed {
            sealed = try reader.readLongField(maximum: reader.remaining)
            guard sealed.count >= Self.tagSize else { throw ArborError(.truncated, "the mesh token's ciphertext is shorter than its tag") }
            let origin = try TreePath.decode(from: &reader)
            let signer = rewrap ? try TreePath.decode(from: &reader) : origin
            let kind: OriginSignature.Kind = hybrid ? .hybrid : .ed25519
            let signatureBytes = try reader.read(count: kind.size)
            try reader.expectEnd()
            signature = OriginSignature(kind: kind, origin: origin, signer: signer, isRewrapAttestation: rewrap, bytes: signatureBytes)
        } else {
            sealed = try reader.read(count: reader.remaining)
            signature = nil
        }
    }

    public var text: String { Self.textPrefix + Base64URL.encode(encoded) }

    /// Reads a token's text; white space around it (a newline at the end of a file) is ignored.
    public init(text: String) throws {
        // On bytes, without Foundation's Unicode trimming: every decrypt request comes through here.
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, isSpace(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, isSpace(last) { bytes = bytes.dropLast() }
        guard bytes.starts(with: Self.textPrefix.utf8) else {
            throw ArborError.malformed("a mesh token starts with '\(Self.textPrefix)'")
        }
        // Canonical base64url only (unused bits zero), so one token has one text.
        guard let encoded = Base64URL.decode(bytes.dropFirst(Self.textPrefix.utf8.count)) else {
            throw ArborError.malformed("a mesh token's body is not canonical base64url without padding")
        }
        try self.init(encoded: encoded)
    }
}
