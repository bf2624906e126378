import ArborCore
import Crypto

/// A key sealed under another (docs/e2ee.md §4): `0x01 ‖ nonce (12) ‖ AES-256-GCM ciphertext ‖
/// tag (16)`, with associated data `"arbor/v1/e2ee/wrap" 0x00 ‖ purpose ‖ 0x00 ‖ account id`, so a
/// wrapped key opens only as what it was sealed for, in the account it was sealed for. AES-GCM
/// because every browser's WebCrypto has it.
public struct WrappedKey: Sendable, Equatable {
    public enum Purpose: String, Sendable {
        /// The master key under the password's KEK.
        case masterByPassword = "master/password"
        /// The master key under the recovery code's key.
        case masterByRecovery = "master/recovery"
        /// The identity key seeds under the master key.
        case identity
    }

    static let version: UInt8 = 1
    static let domain = "arbor/v1/e2ee/wrap"

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.first == Self.version, bytes.count >= 1 + 12 + 16 + 1 else {
            throw ArborError(.malformedInput, "not an Arbor wrapped key")
        }
        self.bytes = bytes
    }

    public static func seal(_ secret: SecretBytes, under key: SymmetricKey, as purpose: Purpose, account: AccountID) throws -> WrappedKey {
        try seal(secret, under: key, as: purpose, account: account, nonce: AES.GCM.Nonce())
    }

    /// With a given nonce: for the test vectors only (a nonce must never repeat under one key).
    static func seal(
        _ secret: SecretBytes, under key: SymmetricKey, as purpose: Purpose, account: AccountID, nonce: AES.GCM.Nonce
    ) throws -> WrappedKey {
        let box = try secret.withUnsafeBytes {
            try AES.GCM.seal($0, using: key, nonce: nonce, authenticating: associatedData(purpose, account))
        }
        guard let combined = box.combined else { throw ArborError(.invalidArgument, "AES-GCM gave no combined form") }
        return WrappedKey(validated: [version] + Array(combined))
    }

    /// `authentication failed` for another key (a wrong password), another purpose or account, or
    /// a changed byte.
    public func open(under key: SymmetricKey, as purpose: Purpose, account: AccountID) throws -> SecretBytes {
        do {
            let box = try AES.GCM.SealedBox(combined: bytes.dropFirst())
            var plaintext = [UInt8](try AES.GCM.open(box, using: key, authenticating: Self.associatedData(purpose, account)))
            return SecretBytes(consuming: &plaintext)
        } catch {
            throw ArborError(
                .authenticationFailed, "the \(purpose.rawValue) key does not open: a wrong password or recovery code, or a changed record")
        }
    }

    static func associatedData(_ purpose: Purpose, _ account: AccountID) -> [UInt8] {
        Array(domain.utf8) + [0] + Array(purpose.rawValue.utf8) + [0] + account.bytes
    }

    private init(validated bytes: [UInt8]) { self.bytes = bytes }
}
