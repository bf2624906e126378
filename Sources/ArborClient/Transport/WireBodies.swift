import ArborCore
import ArborE2EE

// The JSON bodies of docs/e2ee.md §16, as the node's routes spell them (snake case, byte strings
// in unpadded base64url, ids in lower-case hex).

/// A byte string in JSON: unpadded base64url.
struct WireBytes: Codable, Sendable, Equatable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let bytes = Base64URL.decode(try container.decode(String.self).utf8) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not unpadded base64url")
        }
        self.bytes = bytes
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Base64URL.encode(bytes))
    }
}

struct WireIdentityPublicKeys: Codable, Sendable {
    let receiving: WireBytes
    let signing: WireBytes
    let pqSigning: WireBytes

    enum CodingKeys: String, CodingKey {
        case receiving, signing
        case pqSigning = "pq_signing"
    }

    init(_ keys: IdentityPublicKeys) {
        receiving = WireBytes(keys.receiving)
        signing = WireBytes(keys.signing)
        pqSigning = WireBytes(keys.pqSigning)
    }

    var keys: IdentityPublicKeys {
        IdentityPublicKeys(receiving: receiving.bytes, signing: signing.bytes, pqSigning: pqSigning.bytes)
    }
}

/// The sign-up body and the answer of `GET /v1/e2ee/account`.
struct WireAccountRecord: Codable, Sendable {
    let name: String
    let account: String
    let rounds: UInt32
    let salt: WireBytes
    let loginPublicKey: WireBytes
    let masterByPassword: WireBytes
    let masterByRecovery: WireBytes
    let identity: WireBytes
    let identityPublicKeys: WireIdentityPublicKeys

    enum CodingKeys: String, CodingKey {
        case name, account, rounds, salt, identity
        case loginPublicKey = "login_public_key"
        case masterByPassword = "master_by_password"
        case masterByRecovery = "master_by_recovery"
        case identityPublicKeys = "identity_public_keys"
    }

    init(name: String, record: AccountRecord) {
        self.name = name
        account = record.account.hex
        rounds = record.password.rounds
        salt = WireBytes(record.password.salt)
        loginPublicKey = WireBytes(record.loginPublicKey)
        masterByPassword = WireBytes(record.masterByPassword.bytes)
        masterByRecovery = WireBytes(record.masterByRecovery.bytes)
        identity = WireBytes(record.identity.bytes)
        identityPublicKeys = WireIdentityPublicKeys(record.identityPublicKeys)
    }

    func record() throws -> AccountRecord {
        AccountRecord(
            account: try AccountID(hex: account), password: try PasswordParameters(rounds: rounds, salt: salt.bytes),
            loginPublicKey: loginPublicKey.bytes, masterByPassword: try WrappedKey(bytes: masterByPassword.bytes),
            masterByRecovery: try WrappedKey(bytes: masterByRecovery.bytes), identity: try WrappedKey(bytes: identity.bytes),
            identityPublicKeys: identityPublicKeys.keys)
    }
}

struct WireAccountProfile: Codable, Sendable {
    let account: String
    let name: String
    let identityPublicKeys: WireIdentityPublicKeys

    enum CodingKeys: String, CodingKey {
        case account, name
        case identityPublicKeys = "identity_public_keys"
    }
}

struct WireName: Codable, Sendable {
    let name: String
}

struct WireSignInChallenge: Codable, Sendable {
    let account: String
    let rounds: UInt32
    let salt: WireBytes
    let challenge: WireBytes
}

struct WireSignIn: Codable, Sendable {
    let account: String
    let challenge: WireBytes
    let signature: WireBytes
    let device: String
}

struct WireSession: Codable, Sendable {
    let session: String
    let device: String
    let expiresAt: Int64

    enum CodingKeys: String, CodingKey {
        case session, device
        case expiresAt = "expires_at"
    }
}

struct WirePassword: Codable, Sendable {
    let rounds: UInt32
    let salt: WireBytes
    let loginPublicKey: WireBytes
    let masterByPassword: WireBytes

    enum CodingKeys: String, CodingKey {
        case rounds, salt
        case loginPublicKey = "login_public_key"
        case masterByPassword = "master_by_password"
    }

    init(_ record: AccountRecord) {
        rounds = record.password.rounds
        salt = WireBytes(record.password.salt)
        loginPublicKey = WireBytes(record.loginPublicKey)
        masterByPassword = WireBytes(record.masterByPassword.bytes)
    }
}

struct WireRecoveryChallenge: Codable, Sendable {
    let account: String
    let masterByRecovery: WireBytes
    let identity: WireBytes
    let identityPublicKeys: WireIdentityPublicKeys
    let challenge: WireBytes

    enum CodingKeys: String, CodingKey {
        case account, identity, challenge
        case masterByRecovery = "master_by_recovery"
        case identityPublicKeys = "identity_public_keys"
    }
}

struct WireRecovery: Codable, Sendable {
    let account: String
    let challenge: WireBytes
    let signature: WireBytes
    let device: String
    let rounds: UInt32
    let salt: WireBytes
    let loginPublicKey: WireBytes
    let masterByPassword: WireBytes

    enum CodingKeys: String, CodingKey {
        case account, challenge, signature, device, rounds, salt
        case loginPublicKey = "login_public_key"
        case masterByPassword = "master_by_password"
    }
}

struct WireDevices: Codable, Sendable {
    struct Device: Codable, Sendable {
        let device: String
        let name: String
        let createdAt: Int64
        let expiresAt: Int64
        let current: Bool

        enum CodingKeys: String, CodingKey {
            case device, name, current
            case createdAt = "created_at"
            case expiresAt = "expires_at"
        }
    }

    let devices: [Device]
}

struct WireCreateConversation: Codable, Sendable {
    let conversation: String
    let nonce: WireBytes
    let envelopes: [WireBytes]
}

struct WireConversationList: Codable, Sendable {
    let conversations: [String]
}

struct WireConversation: Codable, Sendable {
    let conversation: String
    let creator: String
    let nonce: WireBytes
    let envelopes: [WireBytes]
}

struct WireEnvelopes: Codable, Sendable {
    let envelopes: [WireBytes]
}

struct WireMessage: Codable, Sendable {
    let message: WireBytes
}

struct WirePosition: Codable, Sendable {
    let position: Int64
}

struct WireMessages: Codable, Sendable {
    struct Item: Codable, Sendable {
        let position: Int64
        let message: WireBytes
    }

    let messages: [Item]
}

struct WireChunk: Codable, Sendable {
    let chunk: WireBytes
    let final: Bool
}

struct WireSeal: Codable, Sendable {
    let seal: WireBytes
}
