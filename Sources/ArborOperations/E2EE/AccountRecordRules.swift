import ArborCore
import ArborE2EE

/// What the node checks of a record a client sends (docs/e2ee.md §5, §8) before storing it: the
/// sizes of the keys it cannot otherwise check. The wrapped keys and the password parameters check
/// themselves as they are parsed (`WrappedKey`, `PasswordParameters`).
public enum AccountRecordRules {
    public static let loginPublicKeySize = 32
    public static let receivingPublicKeySize = 1216
    public static let signingPublicKeySize = 32
    public static let pqSigningPublicKeySize = 1952

    public static func checkLoginPublicKey(_ key: [UInt8]) throws {
        guard key.count == loginPublicKeySize else {
            throw ArborError(.invalidArgument, "the login public key is an Ed25519 key of \(loginPublicKeySize) bytes")
        }
    }

    /// The identity's public keys, from their bytes: X-Wing 1216, Ed25519 32, ML-DSA-65 1952.
    public static func identityPublicKeys(receiving: [UInt8], signing: [UInt8], pqSigning: [UInt8]) throws -> IdentityPublicKeys {
        guard receiving.count == receivingPublicKeySize else {
            throw ArborError(.invalidArgument, "the receiving (X-Wing) public key is \(receivingPublicKeySize) bytes")
        }
        guard signing.count == signingPublicKeySize else {
            throw ArborError(.invalidArgument, "the signing (Ed25519) public key is \(signingPublicKeySize) bytes")
        }
        guard pqSigning.count == pqSigningPublicKeySize else {
            throw ArborError(.invalidArgument, "the post-quantum signing (ML-DSA-65) public key is \(pqSigningPublicKeySize) bytes")
        }
        return IdentityPublicKeys(receiving: receiving, signing: signing, pqSigning: pqSigning)
    }

    /// A whole record, checked.
    public static func record(
        account: AccountID, password: PasswordParameters, loginPublicKey: [UInt8], masterByPassword: WrappedKey,
        masterByRecovery: WrappedKey, identity: WrappedKey, identityPublicKeys: IdentityPublicKeys
    ) throws -> AccountRecord {
        try checkLoginPublicKey(loginPublicKey)
        let keys = try Self.identityPublicKeys(
            receiving: identityPublicKeys.receiving, signing: identityPublicKeys.signing, pqSigning: identityPublicKeys.pqSigning)
        return AccountRecord(
            account: account, password: password, loginPublicKey: loginPublicKey, masterByPassword: masterByPassword,
            masterByRecovery: masterByRecovery, identity: identity, identityPublicKeys: keys)
    }
}
