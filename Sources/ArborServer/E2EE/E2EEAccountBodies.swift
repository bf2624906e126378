import ArborE2EE
import ArborOperations
import Hummingbird

/// The identity's public keys in JSON.
struct IdentityPublicKeysBody: Codable, Sendable {
    let receiving: Base64URLBytes
    let signing: Base64URLBytes
    let pqSigning: Base64URLBytes

    enum CodingKeys: String, CodingKey {
        case receiving, signing
        case pqSigning = "pq_signing"
    }

    init(_ keys: IdentityPublicKeys) {
        receiving = Base64URLBytes(keys.receiving)
        signing = Base64URLBytes(keys.signing)
        pqSigning = Base64URLBytes(keys.pqSigning)
    }

    func keys() throws -> IdentityPublicKeys {
        try AccountRecordRules.identityPublicKeys(receiving: receiving.bytes, signing: signing.bytes, pqSigning: pqSigning.bytes)
    }
}

/// An account record (docs/e2ee.md §8) with its name: the sign-up body and `GET /v1/e2ee/account`.
struct AccountRecordBody: Codable, Sendable, ResponseEncodable {
    let name: String
    let account: String
    let rounds: UInt32
    let salt: Base64URLBytes
    let loginPublicKey: Base64URLBytes
    let masterByPassword: Base64URLBytes
    let masterByRecovery: Base64URLBytes
    let identity: Base64URLBytes
    let identityPublicKeys: IdentityPublicKeysBody

    enum CodingKeys: String, CodingKey {
        case name, account, rounds, salt, identity
        case loginPublicKey = "login_public_key"
        case masterByPassword = "master_by_password"
        case masterByRecovery = "master_by_recovery"
        case identityPublicKeys = "identity_public_keys"
    }

    init(_ stored: StoredAccount) {
        let record = stored.record
        name = stored.name
        account = record.account.hex
        rounds = record.password.rounds
        salt = Base64URLBytes(record.password.salt)
        loginPublicKey = Base64URLBytes(record.loginPublicKey)
        masterByPassword = Base64URLBytes(record.masterByPassword.bytes)
        masterByRecovery = Base64URLBytes(record.masterByRecovery.bytes)
        identity = Base64URLBytes(record.identity.bytes)
        identityPublicKeys = IdentityPublicKeysBody(record.identityPublicKeys)
    }

    func record() throws -> AccountRecord {
        try AccountRecordRules.record(
            account: try AccountID(hex: account), password: try PasswordParameters(rounds: rounds, salt: salt.bytes),
            loginPublicKey: loginPublicKey.bytes, masterByPassword: try WrappedKey(bytes: masterByPassword.bytes),
            masterByRecovery: try WrappedKey(bytes: masterByRecovery.bytes), identity: try WrappedKey(bytes: identity.bytes),
            identityPublicKeys: try identityPublicKeys.keys())
    }
}

/// What anyone signed in may read of an account: its name and identity public keys.
struct AccountProfileBody: Codable, Sendable, ResponseEncodable {
    let account: String
    let name: String
    let identityPublicKeys: IdentityPublicKeysBody

    enum CodingKeys: String, CodingKey {
        case account, name
        case identityPublicKeys = "identity_public_keys"
    }

    init(_ stored: StoredAccount) {
        account = stored.record.account.hex
        name = stored.name
        identityPublicKeys = IdentityPublicKeysBody(stored.record.identityPublicKeys)
    }
}

/// `{name}`: the body of both challenge requests.
struct NameBody: Codable, Sendable {
    let name: String
}

struct SignInChallengeBody: Codable, Sendable, ResponseEncodable {
    let account: String
    let rounds: UInt32
    let salt: Base64URLBytes
    let challenge: Base64URLBytes

    init(_ challenge: SignInChallenge) {
        account = challenge.account.hex
        rounds = challenge.password.rounds
        salt = Base64URLBytes(challenge.password.salt)
        self.challenge = Base64URLBytes(challenge.challenge)
    }
}

struct SignInBody: Codable, Sendable {
    let account: String
    let challenge: Base64URLBytes
    let signature: Base64URLBytes
    /// The device's name.
    let device: String
}

/// A new session: its bearer token, shown this once.
struct SessionBody: Codable, Sendable, ResponseEncodable {
    let session: String
    let device: String
    let expiresAt: Int64

    enum CodingKeys: String, CodingKey {
        case session, device
        case expiresAt = "expires_at"
    }

    init(_ issued: IssuedSession) {
        session = issued.token
        device = issued.device.hex
        expiresAt = issued.expiresAt
    }
}

/// The password fields of a record: a password change, and the new password of a recovery.
struct PasswordBody: Codable, Sendable {
    let rounds: UInt32
    let salt: Base64URLBytes
    let loginPublicKey: Base64URLBytes
    let masterByPassword: Base64URLBytes

    enum CodingKeys: String, CodingKey {
        case rounds, salt
        case loginPublicKey = "login_public_key"
        case masterByPassword = "master_by_password"
    }

    func change() throws -> PasswordChange {
        try AccountRecordRules.checkLoginPublicKey(loginPublicKey.bytes)
        return PasswordChange(
            password: try PasswordParameters(rounds: rounds, salt: salt.bytes), loginPublicKey: loginPublicKey.bytes,
            masterByPassword: try WrappedKey(bytes: masterByPassword.bytes))
    }
}

struct DevicesBody: Codable, Sendable, ResponseEncodable {
    struct Device: Codable, Sendable {
        let device: String
        let name: String
        let createdAt: Int64
        let expiresAt: Int64
        /// Whether this is the session that asked.
        let current: Bool

        enum CodingKeys: String, CodingKey {
            case device, name, current
            case createdAt = "created_at"
            case expiresAt = "expires_at"
        }
    }

    let devices: [Device]

    init(_ sessions: [DeviceSession], current: DeviceID) {
        devices = sessions.map {
            Device(device: $0.device.hex, name: $0.name, createdAt: $0.createdAt, expiresAt: $0.expiresAt, current: $0.device == current)
        }
    }
}
