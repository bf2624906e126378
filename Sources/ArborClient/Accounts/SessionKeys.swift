import ArborCore
import ArborE2EE
import Crypto

/// The keys a signed-in client holds, in memory only: the master key and the identity it opens.
/// Never written anywhere, never printed.
struct SessionKeys: Sendable, CustomStringConvertible {
    let account: AccountID
    let master: SymmetricKey
    let identity: IdentityKeys

    init(_ keys: AccountKeys) {
        account = keys.account
        master = keys.master
        identity = keys.identity
    }

    /// Opens `record` with the key-encryption key of a password already stretched for the login
    /// proof (`AccountKeys.signIn` would stretch it a second time): the master key, then the
    /// identity, which must give exactly the record's public keys (`conflict`: a node that swapped
    /// in another identity).
    init(record: AccountRecord, keyEncryptionKey: SymmetricKey) throws {
        let secret = try record.masterByPassword.open(under: keyEncryptionKey, as: .masterByPassword, account: record.account)
        guard secret.count == 32 else { throw ArborError(.authenticationFailed, "the master key of this record is not 32 bytes") }
        let master = secret.withUnsafeBytes { SymmetricKey(data: $0) }
        let identity = try IdentityKeys.unwrap(record.identity, under: master, account: record.account)
        guard identity.publicKeys == record.identityPublicKeys else {
            throw ArborError(.conflict, "the identity keys of this account do not match its public keys: the node changed the record")
        }
        account = record.account
        self.master = master
        self.identity = identity
    }

    /// The record with a new password: new salt and login key, the master key wrapped again.
    func changingPassword(to password: SecretBytes, record: AccountRecord, rounds: UInt32?) throws -> AccountRecord {
        let parameters = try PasswordParameters.fresh(rounds: rounds ?? record.password.rounds)
        let passwordKeys = try PasswordKeys(password: password, parameters: parameters, account: account)
        let wrapped = try WrappedKey.seal(
            master.withUnsafeBytes { SecretBytes(copying: $0) }, under: passwordKeys.keyEncryptionKey, as: .masterByPassword,
            account: account)
        return AccountRecord(
            account: account, password: parameters, loginPublicKey: Array(passwordKeys.login.publicKey.rawRepresentation),
            masterByPassword: wrapped, masterByRecovery: record.masterByRecovery, identity: record.identity,
            identityPublicKeys: record.identityPublicKeys)
    }

    var description: String { "SessionKeys(redacted)" }
}
