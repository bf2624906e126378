import ArborCore
import ArborE2EE
import Crypto

/// Made-up answers for names that have no account, so that asking for a name's sign-in parameters
/// or recovery keys does not tell who has an account: each unknown name gets an account id, a salt
/// and wrapped keys of the right shapes, derived from the name under a secret of the node, so they
/// stay the same from one question to the next (as a real account's do). Rounds are the default.
public struct DecoyAccounts: Sendable {
    private let secret: SymmetricKey

    /// `secret`: 32 random bytes the store keeps (`E2EEStore.decoySecret`).
    public init(secret: [UInt8]) throws {
        guard secret.count == 32 else { throw ArborError(.invalidArgument, "the decoy secret is 32 bytes") }
        self.secret = SymmetricKey(data: secret)
    }

    public func account(named name: AccountName) throws -> AccountID {
        try AccountID(bytes: derive("account", name, count: AccountID.size))
    }

    public func password(named name: AccountName) throws -> PasswordParameters {
        try PasswordParameters(rounds: PasswordParameters.minimumRounds, salt: derive("salt", name, count: PasswordParameters.saltSize))
    }

    /// Wrapped keys and identity public keys of the sizes a real record has (a wrapped master key
    /// of 32 bytes, wrapped identity seeds of 96), which open under no key.
    public func recoveryFields(named name: AccountName) -> (masterByRecovery: [UInt8], identity: [UInt8], keys: IdentityPublicKeys) {
        let master = [1] + derive("master/recovery", name, count: 12 + 32 + 16)
        let identity = [1] + derive("identity", name, count: 12 + 96 + 16)
        let keys = IdentityPublicKeys(
            receiving: derive("receiving", name, count: AccountRecordRules.receivingPublicKeySize),
            signing: derive("signing", name, count: AccountRecordRules.signingPublicKeySize),
            pqSigning: derive("pq-signing", name, count: AccountRecordRules.pqSigningPublicKeySize))
        return (master, identity, keys)
    }

    private func derive(_ purpose: String, _ name: AccountName, count: Int) -> [UInt8] {
        let info = Array("arbor/v1/e2ee/decoy".utf8) + [0] + Array(purpose.utf8) + [0] + Array(name.text.utf8)
        return HKDF<SHA256>.deriveKey(inputKeyMaterial: secret, info: info, outputByteCount: count).withUnsafeBytes { Array($0) }
    }
}
