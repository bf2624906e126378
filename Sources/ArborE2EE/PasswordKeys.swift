import ArborCore
import Crypto
import CryptoExtras

/// What a password gives (docs/e2ee.md §3): a key-encryption key that wraps the account's master
/// key, and a separate Ed25519 login key whose public half the server keeps to check sign-ins. The
/// two come from one PBKDF2 output through HKDF with different labels, so the server, which sees
/// the login key's public half and signatures, learns nothing about the KEK.
public struct PasswordKeys: Sendable, CustomStringConvertible {
    static let kekLabel = "arbor/v1/e2ee/password-kek"
    static let loginLabel = "arbor/v1/e2ee/login-key"

    public let keyEncryptionKey: SymmetricKey
    public let login: Curve25519.Signing.PrivateKey

    /// `P = PBKDF2-HMAC-SHA256(password, salt, rounds, 32)`; then `HKDF-SHA256(P, salt: none,
    /// info: label ‖ 0x00 ‖ account id, 32)` for each of the two labels.
    public init(password: SecretBytes, parameters: PasswordParameters, account: AccountID) throws {
        guard !password.isEmpty else { throw ArborError(.invalidArgument, "the password is empty") }
        let stretched = try password.withUnsafeBytes { bytes in
            try KDF.Insecure.PBKDF2.deriveKey(
                from: bytes, salt: parameters.salt, using: .sha256, outputByteCount: 32, rounds: Int(parameters.rounds))
        }
        keyEncryptionKey = Self.expand(stretched, Self.kekLabel, account)
        login = try Self.expand(stretched, Self.loginLabel, account).withUnsafeBytes {
            try Curve25519.Signing.PrivateKey(rawRepresentation: $0)
        }
    }

    static func expand(_ key: SymmetricKey, _ label: String, _ account: AccountID) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, salt: [UInt8](), info: Array(label.utf8) + [0] + account.bytes, outputByteCount: 32)
    }
}

extension PasswordKeys {
    public var description: String { "PasswordKeys(redacted)" }
}
