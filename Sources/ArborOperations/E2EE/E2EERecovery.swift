import ArborCore
import ArborE2EE

/// What the node hands a device recovering an account: the keys the recovery code opens, and a
/// challenge (docs/e2ee.md §6, §16).
public struct RecoveryChallenge: Sendable, Equatable {
    public let account: AccountID
    public let masterByRecovery: [UInt8]
    public let identity: [UInt8]
    public let identityPublicKeys: IdentityPublicKeys
    public let challenge: [UInt8]
}

/// Recovery (docs/e2ee.md §8, §16): the node hands out the master key wrapped by the recovery
/// code and the wrapped identity; the device that opened them proves it by signing, with the
/// identity, the challenge and the new login key; the password fields are then replaced and the
/// device signed in. An unknown name gets made-up keys of the same shapes (`DecoyAccounts`).
public struct E2EERecovery: Sendable {
    let store: any E2EEStore
    let challenges: LoginChallenges
    let sessions: E2EESessions

    public init(store: any E2EEStore, challenges: LoginChallenges) {
        self.store = store
        self.challenges = challenges
        sessions = E2EESessions(store: store)
    }

    public func challenge(for name: AccountName, now: Int64) async throws -> RecoveryChallenge {
        if let stored = try await store.account(named: name.text) {
            let record = stored.record
            return RecoveryChallenge(
                account: record.account, masterByRecovery: record.masterByRecovery.bytes, identity: record.identity.bytes,
                identityPublicKeys: record.identityPublicKeys,
                challenge: challenges.issue(for: record.account, purpose: .recovery, now: now))
        }
        let decoys = try DecoyAccounts(secret: try await store.decoySecret())
        let account = try decoys.account(named: name)
        let fields = decoys.recoveryFields(named: name)
        return RecoveryChallenge(
            account: account, masterByRecovery: fields.masterByRecovery, identity: fields.identity, identityPublicKeys: fields.keys,
            challenge: challenges.issue(for: account, purpose: .recovery, now: now))
    }

    /// Sets the new password fields and signs the device in, if `signature` is the identity's
    /// hybrid signature over the recovery message; otherwise `authentication failed`.
    public func recover(
        account: AccountID, challenge: [UInt8], change: PasswordChange, signature: [UInt8], deviceName: String, now: Int64
    ) async throws -> IssuedSession {
        try E2EESessions.checkDeviceName(deviceName)
        try AccountRecordRules.checkLoginPublicKey(change.loginPublicKey)
        let redeemed = challenges.redeem(challenge, for: account, purpose: .recovery, now: now)
        let stored = try await store.account(account)
        let message = RecoveryProof.message(account: account, challenge: challenge, loginPublicKey: change.loginPublicKey)
        guard redeemed, let stored, HybridSignature.isValid(signature, for: message, by: stored.record.identityPublicKeys) else {
            throw ArborError(
                .authenticationFailed, "the recovery proof does not verify: another identity, or a challenge that was used or expired")
        }
        try await store.changePassword(of: account, to: change)
        return try await sessions.issue(for: account, deviceName: deviceName, now: now)
    }
}
