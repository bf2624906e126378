import ArborCore
import Crypto
import Foundation

/// The pieces the native recipient types share: the 16-byte file key sealed with
/// ChaCha20-Poly1305 under a 32-byte wrap key and an all-zero nonce.
enum AgeKeyWrap {
    static let fileKeySize = 16
    static let bodySize = fileKeySize + 16

    private static func zeroNonce() throws -> ChaChaPoly.Nonce { try ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)) }

    static func seal(_ fileKey: SymmetricKey, with wrapKey: SymmetricKey) throws -> [UInt8] {
        let box = try fileKey.withUnsafeBytes { try ChaChaPoly.seal($0, using: wrapKey, nonce: try zeroNonce()) }
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// The file key, or nil when the tag does not verify (another recipient, or a wrong key).
    /// The caller has already checked that the body is exactly 32 bytes.
    static func open(_ body: [UInt8], with wrapKey: SymmetricKey) -> SymmetricKey? {
        guard body.count == bodySize,
            let box = try? ChaChaPoly.SealedBox(nonce: try zeroNonce(), ciphertext: body.prefix(fileKeySize), tag: body.suffix(16)),
            var fileKey = try? ChaChaPoly.open(box, using: wrapKey)
        else { return nil }
        defer { fileKey.withUnsafeMutableBytes { SecretBytes.wipe($0) } }
        return SymmetricKey(data: fileKey)
    }

    static func bytes(of key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }
}
