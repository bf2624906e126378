import ArborCore
import ArborE2EE

/// What the node tells a device that wants to sign in as a name: how to stretch the password and
/// what to sign (docs/e2ee.md §3, §7).
public struct SignInChallenge: Sendable, Equatable {
    public let account: AccountID
    public let password: PasswordParameters
    public let challenge: [UInt8]
}

/// Sign-in (docs/e2ee.md §7): a challenge for a name, then a session for its signature under the
/// account's login key. An unknown name gets a made-up account and salt of the same shape
/// (`DecoyAccounts`), and every failure of the proof reads the same, so neither step tells who
/// has an account.
public struct E2EESignIn: Sendable {
    let store: any E2EEStore
    let challenges: LoginChallenges
    let sessions: E2EESessions

    public init(store: any E2EEStore, challenges: LoginChallenges) {
        self.store = store
        self.challenges = challenges
        sessions = E2EESessions(store: store)
    }

    public func challenge(for name: AccountName, now: Int64) async throws -> SignInChallenge {
        let account: AccountID
        let password: PasswordParameters
        if let stored = try await store.account(named: name.text) {
            account = stored.record.account
            password = stored.record.password
        } else {
            let decoys = try DecoyAccounts(secret: try await store.decoySecret())
            account = try decoys.account(named: name)
            password = try decoys.password(named: name)
        }
        return SignInChallenge(
            account: account, password: password, challenge: challenges.issue(for: account, purpose: .signIn, now: now))
    }

    /// A session for the device, if `signature` is the login proof over `challenge`; otherwise
    /// `authentication failed`, the same for a wrong password, an unknown account and a challenge
    /// that was used, expired or issued for another account.
    public func signIn(account: AccountID, challenge: [UInt8], signature: [UInt8], deviceName: String, now: Int64) async throws
        -> IssuedSession
    {
        try E2EESessions.checkDeviceName(deviceName)
        let redeemed = challenges.redeem(challenge, for: account, purpose: .signIn, now: now)
        let stored = try await store.account(account)
        guard redeemed, let stored,
            LoginProof.isValid(signature, challenge: challenge, account: account, loginPublicKey: stored.record.loginPublicKey)
        else {
            throw ArborError(
                .authenticationFailed, "the sign-in proof does not verify: a wrong password, or a challenge that was used or expired")
        }
        return try await sessions.issue(for: account, deviceName: deviceName, now: now)
    }
}
