import Crypto

/// Where and when a mesh message was sealed. It travels in the clear at the front of every token
/// and is authenticated: the message key is derived from it, and it is the AEAD's associated data.
public struct Provenance: Sendable, Equatable {
    public static let nonceSize = 16
    public static let originIDSize = 8

    public let keyringID: [UInt8]
    public let epoch: UInt32
    public let cipher: MeshKeyring.Cipher
    /// 128 random bits: no two messages share a key.
    public let nonce: [UInt8]
    /// Milliseconds since 1970, as the sealing node's clock read it.
    public let time: Int64
    /// SHA-256("arbor/v1/origin" 0x00 ‖ path encoding), first 8 bytes.
    public let originID: [UInt8]

    public static func originID(of path: TreePath) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Array("arbor/v1/origin".utf8))
        writer.append(UInt8(0))
        path.encode(into: &writer)
        return Array(SHA256.hash(data: writer.bytes).prefix(originIDSize))
    }

    /// The message key and nonce: HKDF-SHA256(ikm: epoch seed, salt: nonce,
    /// info: "arbor/v1/mesh-message" 0x00 ‖ header ‖ u32 len context ‖ context), 44 bytes.
    func messageKey(seed: SymmetricKey, header: [UInt8], context: [UInt8]) -> (key: SymmetricKey, nonce: [UInt8]) {
        var info = ByteWriter()
        info.append(raw: Array("arbor/v1/mesh-message".utf8))
        info.append(UInt8(0))
        info.append(raw: header)
        info.append(long: context)
        let material = HKDF<SHA256>.deriveKey(inputKeyMaterial: seed, salt: nonce, info: info.bytes, outputByteCount: 44)
        return material.withUnsafeBytes { bytes in
            (SymmetricKey(data: UnsafeRawBufferPointer(rebasing: bytes[0..<32])), Array(bytes[32..<44]))
        }
    }
}
