import ArborCore
import Crypto

/// The native X25519 recipient type (age v1): an ephemeral X25519 share, HKDF-SHA-256 with
/// salt = share ‖ recipient and info "age-encryption.org/v1/X25519", ChaCha20-Poly1305.
enum X25519Stanza {
    static let type = "X25519"
    static let label = Array("age-encryption.org/v1/X25519".utf8)
    static let keySize = 32

    static func wrap(_ fileKey: SymmetricKey, to recipient: Curve25519.KeyAgreement.PublicKey) throws -> AgeStanza {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        let wrapKey = try wrapKey(
            shared: try ephemeral.sharedSecretFromKeyAgreement(with: recipient), share: share, recipient: recipient)
        return AgeStanza(
            validatedType: type, arguments: [AgeBase64.encodeString(share)], body: try AgeKeyWrap.seal(fileKey, with: wrapKey))
    }

    /// nil when the stanza is not an X25519 stanza or is addressed to another key; throws when it
    /// is an X25519 stanza that breaks the rules.
    static func unwrap(_ stanza: AgeStanza, with identity: Curve25519.KeyAgreement.PrivateKey) throws -> SymmetricKey? {
        guard stanza.type == type else { return nil }
        guard stanza.arguments.count == 1 else { throw ArborError.ageHeader("an X25519 stanza must have exactly one argument") }
        guard let share = AgeBase64.decode(Array(stanza.arguments[0].utf8), padded: false), share.count == keySize else {
            throw ArborError.ageHeader("an X25519 stanza's share is not canonical base64 of 32 bytes")
        }
        guard stanza.body.count == AgeKeyWrap.bodySize else {
            throw ArborError.ageHeader("an X25519 stanza's body is not 32 bytes")
        }
        let sharePoint = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: share)
        guard let shared = try? identity.sharedSecretFromKeyAgreement(with: sharePoint),
            !shared.withUnsafeBytes({ $0.allSatisfy { $0 == 0 } })
        else {
            throw ArborError.ageHeader("an X25519 stanza's share is a low-order point")
        }
        let wrapKey = try wrapKey(shared: shared, share: share, recipient: identity.publicKey)
        return AgeKeyWrap.open(stanza.body, with: wrapKey)
    }

    private static func wrapKey(shared: SharedSecret, share: [UInt8], recipient: Curve25519.KeyAgreement.PublicKey) throws -> SymmetricKey {
        guard !shared.withUnsafeBytes({ $0.allSatisfy { $0 == 0 } }) else {
            throw ArborError(.invalidArgument, "the X25519 recipient is a low-order point")
        }
        return shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: share + Array(recipient.rawRepresentation), sharedInfo: label, outputByteCount: 32)
    }
}
