import ArborCore
import Crypto

/// The ids a migration of legacy plaintext gives its conversations and messages (docs/e2ee.md
/// §15): derived from the account's master key and the legacy ids, so running a migration twice,
/// or again after a crash, writes to the same conversation and the same message ids (which the
/// node refuses to store twice) and never encrypts anything twice. The node cannot link them to
/// the legacy ids without the master key.
public struct MigrationIDs: Sendable, CustomStringConvertible {
    static let label = "arbor/v1/e2ee/migration"
    private let key: SymmetricKey

    /// `HKDF(master key, "arbor/v1/e2ee/migration" 0x00 ‖ account id)`.
    public init(keys: AccountKeys) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: keys.master, salt: [UInt8](), info: Array(Self.label.utf8) + [0] + keys.account.bytes, outputByteCount: 32)
    }

    /// `HMAC-SHA256(key, "conversation" 0x00 ‖ legacy conversation id)[0..16]`, the conversation's nonce (§11).
    public func conversationNonce(legacyConversation: String) -> [UInt8] {
        mac(Array("conversation".utf8) + [0] + Array(legacyConversation.utf8))
    }

    /// `HMAC-SHA256(key, "message" 0x00 ‖ legacy conversation id ‖ 0x00 ‖ legacy message id)[0..16]`.
    public func messageID(legacyConversation: String, legacyMessage: String) throws -> MessageID {
        try MessageID(bytes: mac(Array("message".utf8) + [0] + Array(legacyConversation.utf8) + [0] + Array(legacyMessage.utf8)))
    }

    private func mac(_ message: [UInt8]) -> [UInt8] { Array(HMAC<SHA256>.authenticationCode(for: message, using: key).prefix(16)) }

    public var description: String { "MigrationIDs(redacted)" }
}
