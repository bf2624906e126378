import ArborCore
import ArborE2EE

/// Accounts (docs/e2ee.md §8, §16): sign-up, the record for its owner, the public part (name and
/// identity keys) for anyone signed in, and the password change.
public struct E2EEAccounts: Sendable {
    let store: any E2EEStore

    public init(store: any E2EEStore) { self.store = store }

    /// Stores a new account; `conflict` when its id or name is taken. The record's parts were
    /// checked as they were parsed (`AccountRecordRules`).
    public func signUp(name: AccountName, record: AccountRecord, now: Int64) async throws {
        try await store.createAccount(StoredAccount(name: name.text, record: record, createdAt: now))
    }

    public func account(_ id: AccountID) async throws -> StoredAccount {
        guard let account = try await store.account(id) else { throw ArborError(.notFound, "there is no account \(id)") }
        return account
    }

    public func account(named name: AccountName) async throws -> StoredAccount {
        guard let account = try await store.account(named: name.text) else {
            throw ArborError(.notFound, "there is no account named '\(name)'")
        }
        return account
    }

    /// Replaces the password fields (new salt, maybe more rounds, new login key, the master key
    /// wrapped again); nothing else of the account changes.
    public func changePassword(of account: AccountID, to change: PasswordChange) async throws {
        try AccountRecordRules.checkLoginPublicKey(change.loginPublicKey)
        try await store.changePassword(of: account, to: change)
    }
}
