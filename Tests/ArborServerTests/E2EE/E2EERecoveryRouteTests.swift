import ArborCore
import ArborE2EE
import ArborTestSupport
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import ArborServer

/// Recovery under `/v1/e2ee`: the node hands out the keys the code opens and a challenge, and
/// sets the new password on the identity's signature; against every store kind.
@Suite("E2EE recovery routes")
struct E2EERecoveryRouteTests {
    static func recoveryJSON(
        _ account: E2EETestAccount, challenge: [UInt8], newLogin: Curve25519.Signing.PrivateKey, salt: [UInt8],
        signer: IdentityKeys? = nil
    ) throws -> String {
        let loginPublicKey = Array(newLogin.publicKey.rawRepresentation)
        let signature = try RecoveryProof.sign(
            account: account.id, challenge: challenge, loginPublicKey: loginPublicKey, with: signer ?? account.identity)
        return json([
            "account": account.id.hex, "challenge": Base64URL.encode(challenge), "signature": Base64URL.encode(signature),
            "device": "new phone", "rounds": 600_000, "salt": Base64URL.encode(salt), "login_public_key": Base64URL.encode(loginPublicKey),
            "master_by_password": E2EETestAccount.wrapped(32),
        ])
    }

    static func challenge(_ client: some TestClientProtocol, _ name: String) async throws -> [String: Any] {
        let response = try await client.e2ee(.post, "recovery/challenge", json: json(["name": name]))
        try #require(response.status == .ok, "\(response.text)")
        return try response.json()
    }

    @Test(
        "the recovery keys and a challenge; the identity's signature sets the new password and signs the device in",
        arguments: E2EEStoreKind.available)
    func recover(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        try await node.test { client in
            try await client.signUp(alice)
            let answer = try await Self.challenge(client, "alice")
            #expect(answer["account"] as? String == alice.id.hex)
            #expect(
                (answer["identity_public_keys"] as? [String: String])?["signing"] == Base64URL.encode(alice.identity.publicKeys.signing))
            let record = try await client.e2ee(.get, "account", session: try await client.signIn(alice)).json()
            #expect(answer["master_by_recovery"] as? String == record["master_by_recovery"] as? String)
            #expect(answer["identity"] as? String == record["identity"] as? String)

            let challenge = try E2EEAccountRouteTests.challengeBytes(answer)
            let newLogin = Curve25519.Signing.PrivateKey()
            let salt = randomBytes(16)
            // Signed by another identity: refused, and the challenge is used up.
            let forged = try await client.e2ee(
                .post, "recovery",
                json: try Self.recoveryJSON(
                    alice, challenge: challenge, newLogin: newLogin, salt: salt, signer: try IdentityKeys.generate()))
            #expect(forged.status == .badRequest)
            #expect(try forged.errorCode() == "authentication_failed")
            let reused = try await client.e2ee(
                .post, "recovery", json: try Self.recoveryJSON(alice, challenge: challenge, newLogin: newLogin, salt: salt))
            #expect(reused.status == .badRequest)
            // A sign-in challenge does not serve for recovery.
            let signInChallenge = try E2EEAccountRouteTests.challengeBytes(try await client.challenge("alice"))
            #expect(
                try await client.e2ee(
                    .post, "recovery", json: try Self.recoveryJSON(alice, challenge: signInChallenge, newLogin: newLogin, salt: salt)
                ).status == .badRequest)

            let fresh = try E2EEAccountRouteTests.challengeBytes(try await Self.challenge(client, "alice"))
            let recovered = try await client.e2ee(
                .post, "recovery", json: try Self.recoveryJSON(alice, challenge: fresh, newLogin: newLogin, salt: salt))
            #expect(recovered.status == .created, "\(recovered.text)")
            let session = try #require(try recovered.json()["session"] as? String)
            #expect(try await client.e2ee(.get, "account", session: session).json()["salt"] as? String == Base64URL.encode(salt))
            // The new login key signs in; the old one no longer does.
            _ = try await client.signIn(E2EETestAccount(copying: alice, id: alice.id, login: newLogin, salt: salt))
            let old = try E2EEAccountRouteTests.challengeBytes(try await client.challenge("alice"))
            #expect(
                try await client.e2ee(.post, "sessions", json: try E2EEAccountRouteTests.signInBody(alice, challenge: old)).status
                    == .badRequest)
        }
    }

    @Test("an unknown name gets made-up recovery keys of the same shapes, the same every time", arguments: E2EEStoreKind.available)
    func unknownName(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        try await node.test { client in
            try await client.signUp(alice)
            let real = try await Self.challenge(client, "alice")
            let first = try await Self.challenge(client, "mallory")
            let second = try await Self.challenge(client, "mallory")
            #expect(Set(first.keys) == Set(real.keys))
            for field in ["account", "master_by_recovery", "identity"] {
                #expect(first[field] as? String == second[field] as? String)
                #expect((first[field] as? String)?.count == (real[field] as? String)?.count, "\(field)")
            }
            let keys = try #require(first["identity_public_keys"] as? [String: String])
            let realKeys = try #require(real["identity_public_keys"] as? [String: String])
            #expect(keys.mapValues(\.count) == realKeys.mapValues(\.count))
            #expect(keys == second["identity_public_keys"] as? [String: String])
            // The same made-up account as the sign-in challenge gives.
            #expect(try await client.challenge("mallory")["account"] as? String == first["account"] as? String)
        }
    }
}
