import ArborCore
import ArborE2EE
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The Swift SDK of Arbor's end-to-end encrypted applications (docs/e2ee.md): it talks to a node's
/// `/v1/e2ee` routes and does every cryptographic step in the client, so the node stores and relays
/// only what it cannot open. Start here: `signUp`, `signIn` or `recover` give an `E2EESession`.
///
/// Keys live in memory only, for as long as the session does; nothing is written to disk.
public struct ArborE2EEClient: Sendable {
    let transport: NodeTransport

    /// - Parameters:
    ///   - node: the node's base URL, `http://127.0.0.1:8200`.
    ///   - httpClient: the client to share (AsyncHTTPClient's process-wide one by default).
    public init(node: String, httpClient: HTTPClient = .shared) throws {
        transport = try NodeTransport(node: node, httpClient: httpClient)
    }

    /// What sign-up gives: the signed-in session, and the recovery code to show the user once
    /// (it is not kept anywhere: losing both it and the password loses the account's data).
    public struct SignUp: Sendable {
        public let session: E2EESession
        public let recoveryCode: RecoveryCode
    }

    /// A new account named `name`, then a session for this device.
    public func signUp(
        name: String, password: SecretBytes, device: String, rounds: UInt32 = PasswordParameters.minimumRounds
    ) async throws -> SignUp {
        let (keys, record, recovery) = try AccountKeys.signUp(password: password, rounds: rounds)
        try await transport.call(.POST, "/v1/e2ee/accounts", body: WireAccountRecord(name: name, record: record))
        let passwordKeys = try PasswordKeys(password: password, parameters: record.password, account: record.account)
        let session = try await openSession(name: name, expected: record.account, passwordKeys: passwordKeys, device: device)
        return SignUp(
            session: E2EESession(
                transport: transport, token: session, name: name, keys: SessionKeys(keys), record: record),
            recoveryCode: recovery)
    }

    /// Signs in on this device with the password alone: the challenge, the password stretched
    /// with the account's parameters, the login proof, then the account record, opened here.
    /// A wrong password and an unknown name fail alike (`wrong passphrase`).
    public func signIn(name: String, password: SecretBytes, device: String) async throws -> E2EESession {
        let challenge = try await transport.call(
            .POST, "/v1/e2ee/sessions/challenge", body: WireName(name: name), as: WireSignInChallenge.self)
        let account = try AccountID(hex: challenge.account)
        let parameters = try PasswordParameters(rounds: challenge.rounds, salt: challenge.salt.bytes)
        let passwordKeys = try PasswordKeys(password: password, parameters: parameters, account: account)
        let token = try await signInWithChallenge(challenge, account: account, passwordKeys: passwordKeys, device: device)
        let record = try await transport.call(.GET, "/v1/e2ee/account", session: token, as: WireAccountRecord.self).record()
        guard record.account == account else {
            throw ArborError(.conflict, "the node answered with account \(record.account.hex) for a sign-in as \(account.hex)")
        }
        let keys: SessionKeys
        do {
            keys = try SessionKeys(record: record, keyEncryptionKey: passwordKeys.keyEncryptionKey)
        } catch {
            try? await transport.call(.DELETE, "/v1/e2ee/sessions/current", session: token)
            throw error
        }
        return E2EESession(transport: transport, token: token, name: name, keys: keys, record: record)
    }

    /// Recovery with the code shown at sign-up: the code opens the master key, the identity signs
    /// the node's challenge and the new password's login key (`RecoveryProof`), and the node sets
    /// the new password. Everything the account could read stays readable.
    public func recover(
        name: String, code: RecoveryCode, newPassword: SecretBytes, device: String, rounds: UInt32 = PasswordParameters.minimumRounds
    ) async throws -> E2EESession {
        let challenge = try await transport.call(
            .POST, "/v1/e2ee/recovery/challenge", body: WireName(name: name), as: WireRecoveryChallenge.self)
        let account = try AccountID(hex: challenge.account)
        let masterByRecovery = try WrappedKey(bytes: challenge.masterByRecovery.bytes)
        // `recover` reads only the recovery-wrapped master key, the identity and its public keys;
        // the password fields are the new ones.
        let placeholder = try PasswordParameters.fresh(rounds: rounds)
        let partial = AccountRecord(
            account: account, password: placeholder, loginPublicKey: [], masterByPassword: masterByRecovery,
            masterByRecovery: masterByRecovery, identity: try WrappedKey(bytes: challenge.identity.bytes),
            identityPublicKeys: challenge.identityPublicKeys.keys)
        let keys = SessionKeys(try AccountKeys.recover(with: code, record: partial))
        let record = try keys.changingPassword(to: newPassword, record: partial, rounds: rounds)
        let signature = try RecoveryProof.sign(
            account: account, challenge: challenge.challenge.bytes, loginPublicKey: record.loginPublicKey, with: keys.identity)
        let body = WireRecovery(
            account: account.hex, challenge: challenge.challenge, signature: WireBytes(signature), device: device,
            rounds: record.password.rounds, salt: WireBytes(record.password.salt), loginPublicKey: WireBytes(record.loginPublicKey),
            masterByPassword: WireBytes(record.masterByPassword.bytes))
        let session = try await transport.call(.POST, "/v1/e2ee/recovery", body: body, as: WireSession.self)
        return E2EESession(transport: transport, token: session.session, name: name, keys: keys, record: record)
    }

    /// Challenge and login proof for an account whose password keys are at hand (sign-up).
    func openSession(name: String, expected: AccountID, passwordKeys: PasswordKeys, device: String) async throws -> String {
        let challenge = try await transport.call(
            .POST, "/v1/e2ee/sessions/challenge", body: WireName(name: name), as: WireSignInChallenge.self)
        guard try AccountID(hex: challenge.account) == expected else {
            throw ArborError(.conflict, "the node gave the name \(name) to another account")
        }
        return try await signInWithChallenge(challenge, account: expected, passwordKeys: passwordKeys, device: device)
    }

    private func signInWithChallenge(
        _ challenge: WireSignInChallenge, account: AccountID, passwordKeys: PasswordKeys, device: String
    ) async throws -> String {
        let signature = try LoginProof.sign(challenge: challenge.challenge.bytes, account: account, with: passwordKeys)
        let body = WireSignIn(account: account.hex, challenge: challenge.challenge, signature: WireBytes(signature), device: device)
        do {
            return try await transport.call(.POST, "/v1/e2ee/sessions", body: body, as: WireSession.self).session
        } catch let error as ArborError where error.code == .authenticationFailed {
            // The node does not say which, by design (an unknown name gets a made-up salt).
            throw ArborError(.wrongPassphrase, "the password is wrong, or the node has no account of that name")
        }
    }
}
