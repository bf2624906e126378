import ArborCore
import ArborE2EE
import ArborTestSupport
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import ArborServer

/// Accounts, sign-in, sessions and devices under `/v1/e2ee` (docs/e2ee.md §16) through the real
/// router, against every store kind.
@Suite("E2EE account routes")
struct E2EEAccountRouteTests {
    static func signInBody(_ account: E2EETestAccount, challenge: [UInt8], signature: String? = nil, device: String = "laptop")
        throws -> String
    {
        let signature = try signature ?? account.proof(challenge)
        return
            #"{"account":"\#(account.id.hex)","challenge":"\#(Base64URL.encode(challenge))","signature":"\#(signature)","device":"\#(device)"}"#
    }

    static func challengeBytes(_ answer: [String: Any]) throws -> [UInt8] {
        try decodedBytes(answer["challenge"])
    }

    @Test("sign-up, sign-in, the record, the devices, sign-out", arguments: E2EEStoreKind.available)
    func signUpAndSignIn(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        try await node.test { client in
            try await client.signUp(alice)
            let answer = try await client.challenge("alice")
            #expect(answer["account"] as? String == alice.id.hex)
            #expect(answer["rounds"] as? Int == 600_000)
            #expect(answer["salt"] as? String == Base64URL.encode(alice.salt))
            #expect(try Self.challengeBytes(answer).count == 32)

            let signedIn = try await client.e2ee(
                .post, "sessions", json: try Self.signInBody(alice, challenge: Self.challengeBytes(answer)))
            #expect(signedIn.status == .created)
            let session = try #require(try signedIn.json()["session"] as? String)
            #expect(Base64URL.decode(session.utf8)?.count == 32)
            #expect(try signedIn.json()["expires_at"] as? Int == 1_800_000_000 + 12 * 3600)

            let record = try await client.e2ee(.get, "account", session: session)
            #expect(record.status == .ok)
            let json = try record.json()
            #expect(json["name"] as? String == "alice")
            #expect(json["account"] as? String == alice.id.hex)
            #expect(json["login_public_key"] as? String == Base64URL.encode(alice.login.publicKey.rawRepresentation))
            let keys = try #require(json["identity_public_keys"] as? [String: String])
            #expect(keys["pq_signing"] == Base64URL.encode(alice.identity.publicKeys.pqSigning))

            let devices = try await client.e2ee(.get, "devices", session: session)
            let list = try #require(try devices.json()["devices"] as? [[String: Any]])
            #expect(list.count == 1)
            #expect(list.first?["name"] as? String == "laptop")
            #expect(list.first?["current"] as? Bool == true)

            #expect(try await client.e2ee(.delete, "sessions/current", session: session).status == .noContent)
            let after = try await client.e2ee(.get, "account", session: session)
            #expect(after.status == .unauthorized)
            #expect(try after.errorCode() == "invalid_token")
        }
    }

    @Test("sign-up refuses a taken name or id, a bad name, and keys of the wrong size", arguments: E2EEStoreKind.available)
    func signUpRefusals(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        try await node.test { client in
            try await client.signUp(alice)
            let again = try await client.e2ee(.post, "accounts", json: try E2EETestAccount("alice").signUpJSON())
            #expect(again.status == .conflict)
            let sameID = try await client.e2ee(.post, "accounts", json: try alice.signUpJSON(["name": "alice2"]))
            #expect(sameID.status == .conflict)
            for changes: [String: Any] in [
                ["name": "Alice"], ["name": ""], ["name": String(repeating: "a", count: 65)], ["name": "al ice"],
                ["login_public_key": Base64URL.encode(randomBytes(31))], ["rounds": 1000], ["salt": Base64URL.encode(randomBytes(8))],
                ["identity_public_keys": ["receiving": "AA", "signing": "AA", "pq_signing": "AA"]],
                ["master_by_password": Base64URL.encode([2] + randomBytes(60))], ["account": "00"], ["salt": "not base64url!"],
            ] {
                let response = try await client.e2ee(.post, "accounts", json: try E2EETestAccount("bob").signUpJSON(changes))
                #expect(response.status == .unprocessableContent || response.status == .badRequest, "\(changes.keys): \(response.text)")
                #expect(response.status.code < 500)
            }
            // None of those made an account named bob.
            let bob = try E2EETestAccount("bob")
            try await client.signUp(bob)
        }
    }

    @Test(
        "an unknown name gets a made-up account and salt, stable and of the same shape; its sign-in fails like a wrong password",
        arguments: E2EEStoreKind.available)
    func unknownName(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        try await node.test { client in
            try await client.signUp(alice)
            let real = try await client.challenge("alice")
            let first = try await client.challenge("mallory")
            let second = try await client.challenge("mallory")
            #expect(Set(first.keys) == Set(real.keys))
            #expect(first["account"] as? String == second["account"] as? String)
            #expect(first["salt"] as? String == second["salt"] as? String)
            #expect(first["rounds"] as? Int == 600_000)
            #expect(try Base64URL.decode(#require(first["salt"] as? String).utf8)?.count == 16)
            #expect(try AccountID(hex: #require(first["account"] as? String)) != alice.id)
            #expect(first["challenge"] as? String != second["challenge"] as? String)
            #expect(try await client.challenge("trudy")["salt"] as? String != first["salt"] as? String)

            let ghost = E2EETestAccount(copying: alice, id: try AccountID(hex: #require(first["account"] as? String)))
            let refused = try await client.e2ee(.post, "sessions", json: try Self.signInBody(ghost, challenge: Self.challengeBytes(second)))
            #expect(refused.status == .badRequest)
            #expect(try refused.errorCode() == "authentication_failed")
        }
    }

    @Test("a challenge is good once, for five minutes, for its account, and only under the right key", arguments: E2EEStoreKind.available)
    func challengeRules(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        let bob = try E2EETestAccount("bob")
        try await node.test { client in
            try await client.signUp(alice)
            try await client.signUp(bob)
            let challenge = try Self.challengeBytes(try await client.challenge("alice"))
            #expect(try await client.e2ee(.post, "sessions", json: try Self.signInBody(alice, challenge: challenge)).status == .created)
            let reused = try await client.e2ee(.post, "sessions", json: try Self.signInBody(alice, challenge: challenge))
            #expect(reused.status == .badRequest)
            #expect(try reused.errorCode() == "authentication_failed")

            let expiring = try Self.challengeBytes(try await client.challenge("alice"))
            node.advance(seconds: 301)
            #expect(try await client.e2ee(.post, "sessions", json: try Self.signInBody(alice, challenge: expiring)).status == .badRequest)

            // Bob's challenge does not sign Alice in, and a signature by another key is refused.
            let bobs = try Self.challengeBytes(try await client.challenge("bob"))
            #expect(try await client.e2ee(.post, "sessions", json: try Self.signInBody(alice, challenge: bobs)).status == .badRequest)
            let fresh = try Self.challengeBytes(try await client.challenge("alice"))
            let forged = try alice.proof(fresh, with: Curve25519.Signing.PrivateKey())
            let wrongKey = try await client.e2ee(.post, "sessions", json: try Self.signInBody(alice, challenge: fresh, signature: forged))
            #expect(wrongKey.status == .badRequest)
        }
    }

    @Test("failed sign-ins are rate-limited: 429 with Retry-After once the allowance is spent", arguments: E2EEStoreKind.available)
    func failedSignInsLimited(kind: E2EEStoreKind) async throws {
        var limits = NodeLimits()
        limits.failedAuthenticationRate = RateLimit(perSecond: 0.01, burst: 3)
        let node = try await TestNode(limits: limits, e2ee: kind)
        let alice = try E2EETestAccount("alice")
        try await node.test { client in
            try await client.signUp(alice)
            for _ in 0..<3 {
                let challenge = try Self.challengeBytes(try await client.challenge("alice"))
                let forged = try alice.proof(challenge, with: Curve25519.Signing.PrivateKey())
                #expect(
                    try await client.e2ee(.post, "sessions", json: try Self.signInBody(alice, challenge: challenge, signature: forged))
                        .status == .badRequest)
            }
            // Even the right proof is refused now, and says nothing of whether it was right.
            let challenge = try Self.challengeBytes(try await client.challenge("alice"))
            let limited = try await client.e2ee(.post, "sessions", json: try Self.signInBody(alice, challenge: challenge))
            #expect(limited.status == .tooManyRequests)
            #expect(try limited.errorCode() == "rate_limited")
            #expect(limited.headers[.retryAfter] != nil)
        }
    }

    @Test("sessions: none, a malformed or unknown one is 401; one expires after 12 hours", arguments: E2EEStoreKind.available)
    func sessions(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        try await node.test { client in
            try await client.signUp(alice)
            let session = try await client.signIn(alice)
            let missing = try await client.e2ee(.get, "account")
            #expect(missing.status == .unauthorized)
            #expect(try missing.errorCode() == "missing_token")
            for wrong in ["x", Base64URL.encode(randomBytes(32)), node.rootToken] {
                #expect(try await client.e2ee(.get, "account", session: wrong).status == .unauthorized)
            }
            // A node token is not a session, and a session is not a node token.
            #expect(try await client.send(.get, "/v1/auth/token/lookup-self", token: session).status == .unauthorized)
            #expect(try await client.e2ee(.get, "account", session: session).status == .ok)
            node.advance(seconds: 12 * 3600)
            #expect(try await client.e2ee(.get, "account", session: session).status == .unauthorized)
        }
    }

    @Test("a password change replaces the salt and login key: the old key no longer signs in", arguments: E2EEStoreKind.available)
    func passwordChange(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        try await node.test { client in
            try await client.signUp(alice)
            let session = try await client.signIn(alice)
            let changed = E2EETestAccount(copying: alice, id: alice.id, login: Curve25519.Signing.PrivateKey(), salt: randomBytes(16))
            let body =
                #"{"rounds":700000,"salt":"\#(Base64URL.encode(changed.salt))","login_public_key":"\#(Base64URL.encode(changed.login.publicKey.rawRepresentation))","master_by_password":"\#(E2EETestAccount.wrapped(32))"}"#
            #expect(try await client.e2ee(.put, "account/password", session: session, json: body).status == .noContent)
            let bad = #"{"rounds":700000,"salt":"AA","login_public_key":"AA","master_by_password":"AA"}"#
            #expect(try await client.e2ee(.put, "account/password", session: session, json: bad).status == .unprocessableContent)

            let answer = try await client.challenge("alice")
            #expect(answer["salt"] as? String == Base64URL.encode(changed.salt))
            #expect(answer["rounds"] as? Int == 700_000)
            let old = try await client.e2ee(.post, "sessions", json: try Self.signInBody(alice, challenge: Self.challengeBytes(answer)))
            #expect(old.status == .badRequest)
            _ = try await client.signIn(changed)
        }
    }

    @Test(
        "devices: listed with the current one marked; one signs another out; an unknown device is 404", arguments: E2EEStoreKind.available)
    func devices(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        let bob = try E2EETestAccount("bob")
        try await node.test { client in
            try await client.signUp(alice)
            try await client.signUp(bob)
            let laptop = try await client.signIn(alice, device: "laptop")
            let phone = try await client.signIn(alice, device: "phone")
            let bobs = try await client.signIn(bob)
            let list = try #require(try await client.e2ee(.get, "devices", session: laptop).json()["devices"] as? [[String: Any]])
            #expect(Set(list.compactMap { $0["name"] as? String }) == ["laptop", "phone"])
            let phoneID = try #require(list.first { $0["name"] as? String == "phone" }?["device"] as? String)
            #expect(list.first { $0["name"] as? String == "laptop" }?["current"] as? Bool == true)

            // Bob cannot sign Alice's phone out; Alice can.
            #expect(try await client.e2ee(.delete, "devices/\(phoneID)", session: bobs).status == .notFound)
            #expect(try await client.e2ee(.delete, "devices/\(phoneID)", session: laptop).status == .noContent)
            #expect(try await client.e2ee(.get, "account", session: phone).status == .unauthorized)
            #expect(try await client.e2ee(.delete, "devices/\(phoneID)", session: laptop).status == .notFound)
            #expect(try await client.e2ee(.delete, "devices/xyz", session: laptop).status == .unprocessableContent)
        }
    }

    @Test("another account's name and identity keys, by id or name; 404 for none", arguments: E2EEStoreKind.available)
    func lookup(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        let bob = try E2EETestAccount("bob")
        try await node.test { client in
            try await client.signUp(alice)
            try await client.signUp(bob)
            let session = try await client.signIn(alice)
            for path in ["accounts/\(bob.id.hex)", "accounts?name=bob"] {
                let response = try await client.e2ee(.get, path, session: session)
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(json["name"] as? String == "bob")
                #expect(json["account"] as? String == bob.id.hex)
                #expect(
                    (json["identity_public_keys"] as? [String: String])?["signing"] == Base64URL.encode(bob.identity.publicKeys.signing))
                #expect(json["master_by_recovery"] == nil)
            }
            #expect(try await client.e2ee(.get, "accounts/\(AccountID.random().hex)", session: session).status == .notFound)
            #expect(try await client.e2ee(.get, "accounts?name=carol", session: session).status == .notFound)
            #expect(try await client.e2ee(.get, "accounts/\(bob.id.hex)").status == .unauthorized)
        }
    }

    @Test("the store is its own file, e2ee.sqlite, readable by the node's user only")
    func storeFile() async throws {
        let node = try await TestNode(e2ee: .sqlite)
        let path = node.directory.path + "/" + SQLiteE2EEStore.fileName
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("a node without an E2EE store answers its routes with 503")
    func noStore() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let response = try await client.e2ee(.post, "sessions/challenge", json: #"{"name":"alice"}"#)
            #expect(response.status == .serviceUnavailable)
            #expect(try response.errorCode() == "unavailable")
        }
    }
}

extension E2EETestAccount {
    /// `account` under another id, login key or salt (the same identity).
    init(copying account: E2EETestAccount, id: AccountID, login: Curve25519.Signing.PrivateKey? = nil, salt: [UInt8]? = nil) {
        self.init(name: account.name, id: id, salt: salt ?? account.salt, login: login ?? account.login, identity: account.identity)
    }
}
