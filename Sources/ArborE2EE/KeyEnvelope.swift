import ArborCore
import Crypto
import Foundation

/// An epoch key for one recipient (docs/e2ee.md §12): sealed to the recipient's X-Wing key and
/// signed by the member who added them.
///
/// `0x01 ‖ conversation (16) ‖ epoch (4) ‖ recipient (16) ‖ adder (16) ‖ X-Wing ciphertext (1120)
/// ‖ AES-256-GCM(epoch key) (48) ‖ hybrid signature (3373)`. The first 53 bytes are the header:
/// the AEAD's associated data, so an envelope moved to another conversation, epoch, recipient or
/// adder does not open.
public struct KeyEnvelope: Sendable, Equatable {
    static let version: UInt8 = 1
    static let headerSize = 53
    static let kemCiphertextSize = 1120
    static let sealedKeySize = EpochKey.size + 16
    static let signedSize = headerSize + kemCiphertextSize + sealedKeySize
    public static let size = signedSize + HybridSignature.size
    static let signatureLabel = "arbor/v1/e2ee/envelope"
    static let wrapLabel = "arbor/v1/e2ee/envelope-key"

    public let bytes: [UInt8]
    public let conversation: ConversationID
    public let epoch: UInt32
    public let recipient: AccountID
    public let adder: AccountID

    /// Reads an envelope's fields; `malformed input` for anything not of its size and version.
    /// Nothing is verified here (see `isSigned(by:)` and `open`).
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.size, bytes[0] == Self.version else {
            throw ArborError(.malformedInput, "not an Arbor key envelope (version 1 is \(Self.size) bytes)")
        }
        self.bytes = bytes
        conversation = try ConversationID(bytes: Array(bytes[1..<17]))
        epoch = UInt32.readBigEndian(bytes[...], at: 17)
        recipient = try AccountID(bytes: Array(bytes[21..<37]))
        adder = try AccountID(bytes: Array(bytes[37..<53]))
    }

    /// Seals `key` to `recipientKeys` (the recipient's X-Wing public key) and signs it as `adder`.
    public static func seal(
        _ key: EpochKey, conversation: ConversationID, epoch: UInt32, recipient: AccountID, recipientKeys: IdentityPublicKeys,
        adder: AccountID, adderIdentity: IdentityKeys
    ) throws -> KeyEnvelope {
        let header = [version] + conversation.bytes + epoch.bigEndianBytes + recipient.bytes + adder.bytes
        let receiving: XWingMLKEM768X25519.PublicKey
        do {
            receiving = try XWingMLKEM768X25519.PublicKey(rawRepresentation: recipientKeys.receiving)
        } catch {
            throw ArborError(.invalidArgument, "account \(recipient.hex) has no valid X-Wing public key")
        }
        let encapsulation = try receiving.encapsulate()
        let sealed = try key.key.withUnsafeBytes {
            try AES.GCM.seal(
                $0, using: wrapKey(encapsulation.sharedSecret), nonce: AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12)),
                authenticating: header)
        }
        let signed = header + Array(encapsulation.encapsulated) + Array(sealed.ciphertext) + Array(sealed.tag)
        let signature = try HybridSignature.sign(signedMessage(signed), with: adderIdentity)
        return try KeyEnvelope(bytes: signed + signature)
    }

    /// Whether the adder's hybrid signature verifies under `adderKeys`.
    public func isSigned(by adderKeys: IdentityPublicKeys) -> Bool {
        HybridSignature.isValid(
            Array(bytes[Self.signedSize...]), for: Self.signedMessage(Array(bytes[..<Self.signedSize])), by: adderKeys)
    }

    /// The epoch key, for the recipient: the signature is checked first, then the key opens.
    /// `authentication failed` for another recipient, a changed byte or a signature that fails.
    public func open(with identity: IdentityKeys, adderKeys: IdentityPublicKeys) throws -> EpochKey {
        guard isSigned(by: adderKeys) else {
            throw ArborError(.authenticationFailed, "the key envelope of epoch \(epoch) is not signed by account \(adder.hex)")
        }
        do {
            let sharedSecret = try identity.receiving.decapsulate(Data(bytes[Self.headerSize..<Self.headerSize + Self.kemCiphertextSize]))
            let sealedStart = Self.headerSize + Self.kemCiphertextSize
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12)),
                ciphertext: bytes[sealedStart..<sealedStart + EpochKey.size],
                tag: bytes[sealedStart + EpochKey.size..<Self.signedSize])
            var opened = [UInt8](try AES.GCM.open(box, using: Self.wrapKey(sharedSecret), authenticating: bytes[..<Self.headerSize]))
            return try EpochKey(secret: SecretBytes(consuming: &opened))
        } catch {
            throw ArborError(.authenticationFailed, "the key envelope of epoch \(epoch) does not open with this account's key")
        }
    }

    static func wrapKey(_ sharedSecret: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: sharedSecret, salt: [UInt8](), info: Array(wrapLabel.utf8) + [0], outputByteCount: 32)
    }

    static func signedMessage(_ signed: [UInt8]) -> [UInt8] { Array(signatureLabel.utf8) + [0] + signed }
}
