import ArborCore
import ArborE2EE
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArborServer

/// An account made by hand for the route tests: a login key and an identity, with wrapped keys
/// of the right shapes (the node never opens them, so random bytes do; no 600,000 PBKDF2 rounds
/// per test).
struct E2EETestAccount: Sendable {
    let name: String
    let id: AccountID
    let salt: [UInt8]
    let login: Curve25519.Signing.PrivateKey
    let identity: IdentityKeys

    init(name: String, id: AccountID, salt: [UInt8], login: Curve25519.Signing.PrivateKey, identity: IdentityKeys) {
        self.name = name
        self.id = id
        self.salt = salt
        self.login = login
        self.identity = identity
    }

    init(_ name: String) throws {
        self.name = name
        id = AccountID.random()
        salt = randomBytes(16)
        login = Curve25519.Signing.PrivateKey()
        identity = try IdentityKeys.generate()
    }

    static func wrapped(_ count: Int) -> String { Base64URL.encode([1] + randomBytes(12 + count + 16)) }

    /// The sign-up body, with `changes` applied to its fields.
    func signUpJSON(_ changes: [String: Any] = [:]) throws -> String {
        let keys = identity.publicKeys
        var body: [String: Any] = [
            "name": name, "account": id.hex, "rounds": 600_000, "salt": Base64URL.encode(salt),
            "login_public_key": Base64URL.encode(login.publicKey.rawRepresentation),
            "master_by_password": Self.wrapped(32), "master_by_recovery": Self.wrapped(32), "identity": Self.wrapped(96),
            "identity_public_keys": [
                "receiving": Base64URL.encode(keys.receiving), "signing": Base64URL.encode(keys.signing),
                "pq_signing": Base64URL.encode(keys.pqSigning),
            ],
        ]
        body.merge(changes) { $1 }
        return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    func proof(_ challenge: [UInt8], with key: Curve25519.Signing.PrivateKey? = nil) throws -> String {
        Base64URL.encode(try (key ?? login).signature(for: LoginProof.message(account: id, challenge: challenge)))
    }
}

extension TestClientProtocol {
    /// A request with a JSON body and, when given, a device session.
    func e2ee(_ method: HTTPRequest.Method, _ path: String, session: String? = nil, json: String? = nil, headers extra: HTTPFields = [:])
        async throws -> TestResponse
    {
        var headers = extra
        if let session { headers[.authorization] = "Bearer \(session)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: "/v1/e2ee/" + path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func signUp(_ account: E2EETestAccount) async throws {
        let response = try await e2ee(.post, "accounts", json: try account.signUpJSON())
        try #require(response.status == .created, "\(String(buffer: response.body))")
    }

    func challenge(_ name: String) async throws -> [String: Any] {
        let response = try await e2ee(.post, "sessions/challenge", json: #"{"name":"\#(name)"}"#)
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        return try response.json()
    }

    /// Signs in as `account`; returns the session token.
    func signIn(_ account: E2EETestAccount, device: String = "laptop") async throws -> String {
        let challenge = try decodedBytes(try await challenge(account.name)["challenge"])
        let body: [String: String] = [
            "account": account.id.hex, "challenge": Base64URL.encode(challenge), "signature": try account.proof(challenge),
            "device": device,
        ]
        let response = try await e2ee(
            .post, "sessions", json: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try #require(try response.json()["session"] as? String)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

/// The bytes of a base64url string in a JSON answer; fails the test for anything else.
func decodedBytes(_ value: Any?) throws -> [UInt8] {
    let text = try #require(value as? String)
    return try #require(Base64URL.decode(text.utf8))
}
