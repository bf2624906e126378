import ArborCore
import ArborE2EE
import ArborOperations
import NIOCore
import PostgresNIO

extension PostgresE2EEStore {
    public func createAccount(_ account: StoredAccount) async throws {
        let record = account.record
        let keys = record.identityPublicKeys
        _ = try await rows(
            """
            INSERT INTO e2ee_accounts (id, name, rounds, salt, login_public_key, master_by_password, master_by_recovery,
                identity, identity_receiving, identity_signing, identity_pq_signing, created_at)
            VALUES (\(record.account.bytes.bytea), \(account.name), \(Int64(record.password.rounds)), \(record.password.salt.bytea),
                \(record.loginPublicKey.bytea), \(record.masterByPassword.bytes.bytea), \(record.masterByRecovery.bytes.bytea),
                \(record.identity.bytes.bytea), \(keys.receiving.bytea), \(keys.signing.bytea), \(keys.pqSigning.bytea),
                \(account.createdAt))
            """,
            refusing: Refusal(duplicate: { [id = record.account.hex] constraint in
                constraint == "e2ee_accounts_name_key"
                    ? "the account name is taken: choose another name"
                    : "account \(id) exists: sign up with a new random account id"
            }))
    }

    public func account(_ id: AccountID) async throws -> StoredAccount? {
        try await rows("SELECT \(unescaped: Self.accountColumns) FROM e2ee_accounts WHERE id = \(id.bytes.bytea)").first.map(Self.account)
    }

    public func account(named name: String) async throws -> StoredAccount? {
        try await rows("SELECT \(unescaped: Self.accountColumns) FROM e2ee_accounts WHERE name = \(name)").first.map(Self.account)
    }

    public func changePassword(of account: AccountID, to change: PasswordChange) async throws {
        let changed = try await rows(
            """
            UPDATE e2ee_accounts SET rounds = \(Int64(change.password.rounds)), salt = \(change.password.salt.bytea),
                login_public_key = \(change.loginPublicKey.bytea), master_by_password = \(change.masterByPassword.bytes.bytea)
            WHERE id = \(account.bytes.bytea) RETURNING 1
            """)
        guard !changed.isEmpty else {
            throw ArborError(.notFound, "account \(account.hex) does not exist: sign up first, or check the account id")
        }
    }

    /// Made once by whichever node asks first: a racing insert does nothing, and every caller
    /// then reads the one stored (a statement of its own, so it sees the winner's commit).
    public func decoySecret() async throws -> [UInt8] {
        _ = try await rows(
            """
            INSERT INTO e2ee_settings (name, value) VALUES ('decoy_secret', \(randomBytes(32).bytea))
            ON CONFLICT (name) DO NOTHING
            """)
        let found = try await rows("SELECT value FROM e2ee_settings WHERE name = 'decoy_secret'")
        guard let value = try found.first?.decode(ByteBuffer.self).bytes, value.count == 32 else {
            throw ArborError(.corruptFile, "the E2EE database holds no usable decoy secret: restore the database from a backup")
        }
        return value
    }

    static let accountColumns = """
        id, name, rounds, salt, login_public_key, master_by_password, master_by_recovery, identity,
        identity_receiving, identity_signing, identity_pq_signing, created_at
        """

    /// A row of `accountColumns` as a stored account; a row that does not parse is `corrupt file`.
    static func account(_ row: PostgresRow) throws -> StoredAccount {
        let (id, name, rounds, salt, login, byPassword, byRecovery, identity, receiving, signing, pqSigning, createdAt) =
            try row.decode(
                (
                    ByteBuffer, String, Int64, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer,
                    ByteBuffer, Int64
                ).self)
        do {
            guard let rounds = UInt32(exactly: rounds) else { throw ArborError(.corruptFile, "rounds out of range") }
            let record = AccountRecord(
                account: try AccountID(bytes: id.bytes), password: try PasswordParameters(rounds: rounds, salt: salt.bytes),
                loginPublicKey: login.bytes, masterByPassword: try WrappedKey(bytes: byPassword.bytes),
                masterByRecovery: try WrappedKey(bytes: byRecovery.bytes), identity: try WrappedKey(bytes: identity.bytes),
                identityPublicKeys: IdentityPublicKeys(receiving: receiving.bytes, signing: signing.bytes, pqSigning: pqSigning.bytes))
            return StoredAccount(name: name, record: record, createdAt: createdAt)
        } catch {
            throw ArborError(
                .corruptFile, "the E2EE database holds an account record that does not parse: restore the database from a backup")
        }
    }
}
