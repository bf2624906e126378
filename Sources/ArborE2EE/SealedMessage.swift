import ArborCore
import Crypto

/// A message as stored and relayed (docs/e2ee.md §13): header (90) ‖ AES-256-GCM ciphertext ‖ tag
/// (16) ‖ the sender's hybrid signature (3373) over `"arbor/v1/e2ee/message" 0x00 ‖ header ‖
/// ciphertext ‖ tag`. Authenticated to the sender by that signature: every member holds the epoch
/// key, so a MAC could not tell them apart. Encrypt-then-sign is safe because the sender is in the
/// associated data: re-signed by another account, it no longer opens.
public struct SealedMessage: Sendable, Equatable {
    static let label = "arbor/v1/e2ee/message"
    static let tagSize = 16
    public static let overhead = MessageHeader.size + tagSize + HybridSignature.size

    public let header: MessageHeader
    public let bytes: [UInt8]

    /// Reads the header; `malformed input` for anything too short or of another version.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= Self.overhead else { throw ArborError(.malformedInput, "not an Arbor message: it is too short") }
        header = try MessageHeader(parsing: bytes[...])
        self.bytes = bytes
    }

    public static func seal(_ plaintext: [UInt8], header: MessageHeader, epochKey: EpochKey, senderIdentity: IdentityKeys) throws
        -> SealedMessage
    {
        let encodedHeader = header.encoded
        let box = try AES.GCM.seal(
            plaintext, using: epochKey.messageKey(conversation: header.conversation, epoch: header.epoch),
            nonce: AES.GCM.Nonce(data: header.nonce), authenticating: associatedData(encodedHeader))
        let signed = encodedHeader + Array(box.ciphertext) + Array(box.tag)
        return try SealedMessage(bytes: signed + HybridSignature.sign(signedMessage(signed), with: senderIdentity))
    }

    var signedPart: ArraySlice<UInt8> { bytes[..<(bytes.count - HybridSignature.size)] }

    /// Whether the sender's hybrid signature verifies under `senderKeys`.
    public func isSigned(by senderKeys: IdentityPublicKeys) -> Bool {
        HybridSignature.isValid(
            Array(bytes[(bytes.count - HybridSignature.size)...]), for: Self.signedMessage(Array(signedPart)), by: senderKeys)
    }

    /// The plaintext, after the AEAD checks it under the epoch's key (the signature is the
    /// reader's to check first: see `ConversationReader`).
    public func open(epochKey: EpochKey) throws -> [UInt8] {
        let body = signedPart.dropFirst(MessageHeader.size)
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: header.nonce), ciphertext: body.dropLast(Self.tagSize), tag: body.suffix(Self.tagSize))
            return Array(
                try AES.GCM.open(
                    box, using: epochKey.messageKey(conversation: header.conversation, epoch: header.epoch),
                    authenticating: Self.associatedData(Array(bytes[..<MessageHeader.size]))))
        } catch {
            throw ArborError(.authenticationFailed, "message \(header.id.hex) does not open under the key of epoch \(header.epoch)")
        }
    }

    static func associatedData(_ header: [UInt8]) -> [UInt8] { Array(label.utf8) + [0] + header }
    static func signedMessage(_ signed: [UInt8]) -> [UInt8] { Array(label.utf8) + [0] + signed }
}
