import ArborCore
import Crypto
import Foundation

/// The native post-quantum recipient type `mlkem768x25519`: HPKE base mode (RFC 9180) with the
/// X-Wing KEM (ML-KEM-768 + X25519), HKDF-SHA256 and ChaCha20-Poly1305, info
/// "age-encryption.org/mlkem768x25519", empty AAD. The stanza's argument is the 1120-byte
/// encapsulated key; its body is the sealed file key.
enum MLKEM768X25519Stanza {
    static let type = "mlkem768x25519"
    static let info = Data("age-encryption.org/mlkem768x25519".utf8)
    static let ciphersuite = HPKE.Ciphersuite(kem: .XWingMLKEM768X25519, kdf: .HKDF_SHA256, aead: .chaChaPoly)
    static let encapsulatedKeySize = 1120
    static let publicKeySize = 1216
    static let seedSize = 32

    static func wrap(_ fileKey: SymmetricKey, to recipient: XWingMLKEM768X25519.PublicKey) throws -> AgeStanza {
        var sender = try HPKE.Sender(recipientKey: recipient, ciphersuite: ciphersuite, info: info)
        let body = try fileKey.withUnsafeBytes { try sender.seal($0) }
        return AgeStanza(
            validatedType: type, arguments: [AgeBase64.encodeString(sender.encapsulatedKey)], body: Array(body))
    }

    /// nil when the stanza is not addressed to this identity; throws when it breaks the rules.
    static func unwrap(_ stanza: AgeStanza, with identity: XWingMLKEM768X25519.PrivateKey) throws -> SymmetricKey? {
        guard stanza.type == type else { return nil }
        guard stanza.arguments.count == 1 else {
            throw ArborError.ageHeader("an mlkem768x25519 stanza must have exactly one argument")
        }
        guard let encapsulated = AgeBase64.decode(Array(stanza.arguments[0].utf8), padded: false),
            encapsulated.count == encapsulatedKeySize
        else {
            throw ArborError.ageHeader("an mlkem768x25519 stanza's encapsulated key is not canonical base64 of 1120 bytes")
        }
        guard stanza.body.count == AgeKeyWrap.bodySize else {
            throw ArborError.ageHeader("an mlkem768x25519 stanza's body is not 32 bytes")
        }
        let recipient: HPKE.Recipient
        do {
            recipient = try HPKE.Recipient(privateKey: identity, ciphersuite: ciphersuite, info: info, encapsulatedKey: Data(encapsulated))
        } catch {
            // ML-KEM decapsulation never fails (implicit rejection): this is the X25519 half
            // giving the all-zero shared secret, a low-order point.
            throw ArborError.ageHeader("an mlkem768x25519 stanza's encapsulated key does not decapsulate (low-order X25519 point)")
        }
        var opener = recipient
        guard var fileKey = try? opener.open(stanza.body) else { return nil }
        defer { fileKey.withUnsafeMutableBytes { SecretBytes.wipe($0) } }
        guard fileKey.count == AgeKeyWrap.fileKeySize else { return nil }
        return SymmetricKey(data: fileKey)
    }
}
