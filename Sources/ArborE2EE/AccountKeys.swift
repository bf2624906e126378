import ArborCore
import Crypto

/// What the server stores for an account (docs/e2ee.md §8): parameters, wrapped keys and public
/// keys; never a password, a password-equivalent, the master key or an identity seed.
public struct AccountRecord: Sendable, Equatable {
    public let account: AccountID
    public let password: PasswordParameters
    /// The Ed25519 public key the server checks sign-ins with (`LoginProof`).
    public let loginPublicKey: [UInt8]
    public let masterByPassword: WrappedKey
    public let masterByRecovery: WrappedKey
    public let identity: WrappedKey
    public let identityPublicKeys: IdentityPublicKeys

    public init(
        account: AccountID, password: PasswordParameters, loginPublicKey: [UInt8], masterByPassword: WrappedKey,
        masterByRecovery: WrappedKey, identity: WrappedKey, identityPublicKeys: IdentityPublicKeys
    ) {
        self.account = account
        self.password = password
        self.loginPublicKey = loginPublicKey
        self.masterByPassword = masterByPassword
        self.masterByRecovery = masterByRecovery
        self.identity = identity
        self.identityPublicKeys = identityPublicKeys
    }
}

/// The client's side of an account: sign-up, sign-in on any device with the password alone,
/// password change and recovery (docs/e2ee.md §8).
public struct AccountKeys: Sendable, CustomStringConvertible {
    public let account: AccountID
    public let master: SymmetricKey
    public let identity: IdentityKeys

    /// A new account: a random master key and identity, the password's keys, and a recovery code
    /// to show once.
    public static func signUp(
        password: SecretBytes, account: AccountID = .random(), rounds: UInt32 = PasswordParameters.minimumRounds
    ) throws -> (keys: AccountKeys, record: AccountRecord, recovery: RecoveryCode) {
        let parameters = try PasswordParameters.fresh(rounds: rounds)
        let passwordKeys = try PasswordKeys(password: password, parameters: parameters, account: account)
        let master = SymmetricKey(size: .bits256)
        let identity = try IdentityKeys.generate()
        let recovery = RecoveryCode.generate()
        let keys = AccountKeys(account: account, master: master, identity: identity)
        let record = AccountRecord(
            account: account, password: parameters, loginPublicKey: Array(passwordKeys.login.publicKey.rawRepresentation),
            masterByPassword: try keys.wrapMaster(under: passwordKeys.keyEncryptionKey, as: .masterByPassword),
            masterByRecovery: try keys.wrapMaster(under: recovery.key(for: account), as: .masterByRecovery),
            identity: try identity.wrapped(under: master, account: account), identityPublicKeys: identity.publicKeys)
        return (keys, record, recovery)
    }

    /// Sign-in on any device: the password opens the master key, which opens the identity.
    public static func signIn(password: SecretBytes, record: AccountRecord) throws -> AccountKeys {
        let passwordKeys = try PasswordKeys(password: password, parameters: record.password, account: record.account)
        return try open(
            record,
            master: try record.masterByPassword.open(
                under: passwordKeys.keyEncryptionKey, as: .masterByPassword, account: record.account))
    }

    /// Recovery: the code opens the master key; the caller then sets a new password.
    public static func recover(with code: RecoveryCode, record: AccountRecord) throws -> AccountKeys {
        try open(
            record,
            master: try record.masterByRecovery.open(under: code.key(for: record.account), as: .masterByRecovery, account: record.account))
    }

    /// A new password (after a sign-in or a recovery): new parameters and login key, and the master
    /// key wrapped again. The master key, the identity and everything they wrap stay as they are.
    public func changePassword(to password: SecretBytes, record: AccountRecord, rounds: UInt32? = nil) throws -> AccountRecord {
        let parameters = try PasswordParameters.fresh(rounds: rounds ?? record.password.rounds)
        let passwordKeys = try PasswordKeys(password: password, parameters: parameters, account: account)
        return AccountRecord(
            account: account, password: parameters, loginPublicKey: Array(passwordKeys.login.publicKey.rawRepresentation),
            masterByPassword: try wrapMaster(under: passwordKeys.keyEncryptionKey, as: .masterByPassword),
            masterByRecovery: record.masterByRecovery, identity: record.identity, identityPublicKeys: record.identityPublicKeys)
    }

    private static func open(_ record: AccountRecord, master secret: SecretBytes) throws -> AccountKeys {
        guard secret.count == 32 else { throw ArborError(.authenticationFailed, "the master key of this record is not 32 bytes") }
        let master = secret.withUnsafeBytes { SymmetricKey(data: $0) }
        let identity = try IdentityKeys.unwrap(record.identity, under: master, account: record.account)
        guard identity.publicKeys == record.identityPublicKeys else {
            throw ArborError(.conflict, "the identity keys of this record do not match its public keys: the record was changed")
        }
        return AccountKeys(account: record.account, master: master, identity: identity)
    }

    private func wrapMaster(under key: SymmetricKey, as purpose: WrappedKey.Purpose) throws -> WrappedKey {
        try WrappedKey.seal(master.withUnsafeBytes { SecretBytes(copying: $0) }, under: key, as: purpose, account: account)
    }
}

extension AccountKeys {
    public var description: String { "AccountKeys(redacted)" }
}
