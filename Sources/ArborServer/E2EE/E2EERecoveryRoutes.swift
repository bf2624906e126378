import ArborE2EE
import ArborOperations
import Hummingbird

/// Recovery (docs/e2ee.md §16): `POST /v1/e2ee/recovery/challenge` hands out the keys the
/// recovery code opens and a challenge; `POST /v1/e2ee/recovery` sets the new password on the
/// identity's signature and signs the device in. Failures count as failed sign-ins.
struct E2EERecoveryRoutes: NodeRoutes {
    let gate: E2EEGate

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("recovery/challenge") { request, _ in
            let name = try AccountName(try await gate.body(NameBody.self, request).name)
            let recovery = E2EERecovery(store: try gate.requireStore(), challenges: gate.challenges)
            return RecoveryChallengeBody(try await recovery.challenge(for: name, now: gate.clock.now()))
        }
        group.post("recovery") { request, context -> Response in
            let body = try await gate.body(RecoveryBody.self, request)
            let account = try AccountID(hex: body.account)
            let change = try PasswordBody(
                rounds: body.rounds, salt: body.salt, loginPublicKey: body.loginPublicKey, masterByPassword: body.masterByPassword
            ).change()
            let recovery = E2EERecovery(store: try gate.requireStore(), challenges: gate.challenges)
            try gate.rateLimits.reserveSignIn(account: account.hex, client: context.clientAddress)
            let issued = try await recovery.recover(
                account: account, challenge: body.challenge.bytes, change: change, signature: body.signature.bytes,
                deviceName: body.device, now: gate.clock.now())
            gate.rateLimits.signInSucceeded(account: account.hex, client: context.clientAddress)
            return try created(SessionBody(issued), request, context)
        }
    }
}

struct RecoveryChallengeBody: Codable, Sendable, ResponseEncodable {
    let account: String
    let masterByRecovery: Base64URLBytes
    let identity: Base64URLBytes
    let identityPublicKeys: IdentityPublicKeysBody
    let challenge: Base64URLBytes

    enum CodingKeys: String, CodingKey {
        case account, identity, challenge
        case masterByRecovery = "master_by_recovery"
        case identityPublicKeys = "identity_public_keys"
    }

    init(_ challenge: RecoveryChallenge) {
        account = challenge.account.hex
        masterByRecovery = Base64URLBytes(challenge.masterByRecovery)
        identity = Base64URLBytes(challenge.identity)
        identityPublicKeys = IdentityPublicKeysBody(challenge.identityPublicKeys)
        self.challenge = Base64URLBytes(challenge.challenge)
    }
}

/// The new password fields, the challenge, and the identity's signature over the recovery message.
struct RecoveryBody: Codable, Sendable {
    let account: String
    let challenge: Base64URLBytes
    let signature: Base64URLBytes
    let device: String
    let rounds: UInt32
    let salt: Base64URLBytes
    let loginPublicKey: Base64URLBytes
    let masterByPassword: Base64URLBytes

    enum CodingKeys: String, CodingKey {
        case account, challenge, signature, device, rounds, salt
        case loginPublicKey = "login_public_key"
        case masterByPassword = "master_by_password"
    }
}
