import ArborCore
import Crypto

/// The key of one epoch of a conversation (docs/e2ee.md §11): 32 random bytes, wrapped to each
/// member in a key envelope. Messages use a key derived from it, never it directly.
public struct EpochKey: Sendable, CustomStringConvertible {
    public static let size = 32
    let key: SymmetricKey

    public static func random() -> EpochKey { EpochKey(key: SymmetricKey(size: .bits256)) }

    init(key: SymmetricKey) { self.key = key }

    init(secret: SecretBytes) throws {
        guard secret.count == Self.size else { throw ArborError(.authenticationFailed, "an epoch key is \(Self.size) bytes") }
        key = secret.withUnsafeBytes { SymmetricKey(data: $0) }
    }

    /// `HKDF(epoch key, "arbor/v1/e2ee/message-key" 0x00 ‖ conversation ‖ epoch)`.
    func messageKey(conversation: ConversationID, epoch: UInt32) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, salt: [UInt8](),
            info: Array("arbor/v1/e2ee/message-key".utf8) + [0] + conversation.bytes + epoch.bigEndianBytes, outputByteCount: 32)
    }

    public var description: String { "EpochKey(redacted)" }
}

extension FixedWidthInteger {
    /// The integer's bytes, most significant first.
    var bigEndianBytes: [UInt8] { withUnsafeBytes(of: self.bigEndian) { Array($0) } }

    /// Reads `Self` from `bytes` at `offset`, most significant byte first.
    static func readBigEndian(_ bytes: ArraySlice<UInt8>, at offset: Int) -> Self {
        let start = bytes.startIndex + offset
        return bytes[start..<start + MemoryLayout<Self>.size].reduce(Self.zero) { $0 << 8 | Self($1) }
    }
}
