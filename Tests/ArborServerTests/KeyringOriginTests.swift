import ArborCore
import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Origin signatures and replay checks through `/v1/keyrings/:name/{encrypt,decrypt,rewrap}`:
/// `sign_origin` makes tokens carry the node's hybrid signature, decrypt reports the origin and
/// whether it verified, `require_signed_origin` refuses the rest, `reject_replay` a second open.
@Suite("keyring origin signatures and replays")
struct KeyringOriginTests {
    static let plaintext = Data("pay 10 EUR".utf8).base64EncodedString()

    /// A node with the keyring `payments`.
    static func node() async throws -> TestNode {
        let node = try await TestNode()
        try await node.test { client in
            let created = try await client.send(.post, "/v1/keyrings", token: node.rootToken, json: #"{"name":"payments"}"#)
            #expect(created.status == .created)
        }
        return node
    }

    static func ciphertext(_ response: TestResponse) throws -> String {
        try #require(try response.json()["ciphertext"] as? String, "\(String(buffer: response.body))")
    }

    static func origin(_ body: [String: Any]) -> [String: Any]? { body["origin"] as? [String: Any] }

    /// Encrypts `plaintext` (base64) with keyring `payments`; the token's text.
    static func encrypt(
        _ client: some TestClientProtocol, token: String, plaintext: String = Self.plaintext, signOrigin: Bool = false
    ) async throws -> String {
        let option = signOrigin ? #","sign_origin":true"# : ""
        return try ciphertext(
            try await client.send(.post, "/v1/keyrings/payments/encrypt", token: token, json: #"{"plaintext":"\#(plaintext)"\#(option)}"#))
    }

    @Test("a signed token decrypts as verified from the node; an unsigned one as unverified, refused when a signed origin is required")
    func signedOrigins() async throws {
        let node = try await Self.node()
        let root = node.rootToken
        try await node.test { client in
            let signed = try await Self.encrypt(client, token: root, signOrigin: true)
            let unsigned = try await Self.encrypt(client, token: root)
            let token = try MeshToken(text: signed)
            #expect(token.signature?.kind == .hybrid && token.signature?.origin.description == "dev/node-1")
            #expect(try MeshToken(text: unsigned).signature == nil)

            let opened = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(signed)","require_signed_origin":true}"#)
            #expect(opened.status == .ok)
            let body = try opened.json()
            #expect(body["plaintext"] as? String == Self.plaintext)
            #expect(Self.origin(body)?["path"] as? String == "dev/node-1" && Self.origin(body)?["verified"] as? Bool == true)

            let plain = try await client.send(.post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(unsigned)"}"#)
            #expect(plain.status == .ok)
            let unverified = Self.origin(try plain.json())
            #expect(unverified?["verified"] as? Bool == false && unverified?["path"] == nil)
            let refused = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(unsigned)","require_signed_origin":true}"#)
            #expect(refused.status == .badRequest)
            #expect(try refused.errorCode() == "origin_not_verified")
        }
    }

    @Test("a token signed by a node this node does not trust reads as unverified from that node; refused when a signed origin is required")
    func otherSigner() async throws {
        let node = try await Self.node()
        // Another holder of the keyring (here a node below this one) seals and signs as itself.
        let holder = try node.directory.secret.descendant(try TreePath(parsing: "dev/node-1/app")).keySet()
        let keyring = try #require(try await node.node.keyrings.load("payments"))
        let foreign = try keyring.seal(Array("pay 10 EUR".utf8), origin: holder.path, time: 1_800_000_000_000, signer: holder).text
        try await node.test { client in
            let opened = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: node.rootToken, json: #"{"ciphertext":"\#(foreign)"}"#)
            #expect(opened.status == .ok)
            let origin = Self.origin(try opened.json())
            #expect(origin?["path"] as? String == "dev/node-1/app" && origin?["verified"] as? Bool == false)
            let refused = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: node.rootToken,
                json: #"{"ciphertext":"\#(foreign)","require_signed_origin":true}"#)
            #expect(try refused.status == .badRequest && refused.errorCode() == "origin_not_verified")
        }
    }

    @Test("a forged signature by this node's path fails the decrypt instead of reading as unverified")
    func forgedSignature() async throws {
        let node = try await Self.node()
        let root = node.rootToken
        try await node.test { client in
            let signed = try await Self.encrypt(client, token: root, signOrigin: true)
            // Flip one bit in the last byte of the token (inside the origin signature).
            var bytes = try MeshToken(text: signed).encoded
            bytes[bytes.count - 1] ^= 1
            let forged = try MeshToken(encoded: bytes).text
            let response = try await client.send(.post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(forged)"}"#)
            #expect(response.status == .badRequest)
            #expect(try response.errorCode() == "origin_not_verified")
        }
    }

    @Test("batches: sign_origin signs every item; decrypt reports each origin; require_signed_origin fails the unsigned item alone")
    func batches() async throws {
        let node = try await Self.node()
        let root = node.rootToken
        try await node.test { client in
            let sealed = try await client.send(
                .post, "/v1/keyrings/payments/encrypt", token: root,
                json: #"{"batch_input":[{"plaintext":"\#(Self.plaintext)"},{"plaintext":"AQ=="}],"sign_origin":true}"#)
            let results = try #require(try sealed.json()["batch_results"] as? [[String: Any]])
            let tokens = try results.map { try #require($0["ciphertext"] as? String) }
            #expect(try tokens.allSatisfy { try MeshToken(text: $0).signature?.kind == .hybrid })
            let unsigned = try await Self.encrypt(client, token: root, plaintext: "AQ==")
            let opened = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root,
                json: #"{"batch_input":[{"ciphertext":"\#(tokens[0])"},{"ciphertext":"\#(unsigned)"}],"require_signed_origin":true}"#)
            #expect(opened.status == .ok)
            let items = try #require(try opened.json()["batch_results"] as? [[String: Any]])
            #expect(items[0]["plaintext"] as? String == Self.plaintext && Self.origin(items[0])?["verified"] as? Bool == true)
            #expect((items[1]["error"] as? [String: Any])?["code"] as? String == "origin_not_verified" && items[1]["plaintext"] == nil)
        }
    }

    @Test("rewrap with sign_origin keeps the node's signed origin; an unsigned token cannot be kept signed")
    func rewrap() async throws {
        let node = try await Self.node()
        let root = node.rootToken
        try await node.test { client in
            let signed = try await Self.encrypt(client, token: root, signOrigin: true)
            let unsigned = try await Self.encrypt(client, token: root, plaintext: "AQ==")
            #expect(try await client.send(.post, "/v1/keyrings/payments/rotate", token: root).status == .ok)
            let kept = try Self.ciphertext(
                try await client.send(
                    .post, "/v1/keyrings/payments/rewrap", token: root, json: #"{"ciphertext":"\#(signed)","sign_origin":true}"#))
            let token = try MeshToken(text: kept)
            #expect(token.provenance.epoch == 2 && token.signature?.kind == .hybrid && token.signature?.isRewrapAttestation == false)
            let opened = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(kept)","require_signed_origin":true}"#)
            #expect(Self.origin(try opened.json())?["verified"] as? Bool == true)
            // Without sign_origin the node becomes the origin and signs nothing.
            let dropped = try Self.ciphertext(
                try await client.send(.post, "/v1/keyrings/payments/rewrap", token: root, json: #"{"ciphertext":"\#(signed)"}"#))
            #expect(try MeshToken(text: dropped).signature == nil)
            let refused = try await client.send(
                .post, "/v1/keyrings/payments/rewrap", token: root, json: #"{"ciphertext":"\#(unsigned)","sign_origin":true}"#)
            #expect(try refused.status == .badRequest && refused.errorCode() == "origin_not_verified")
        }
    }

    @Test("reject_replay: a token opens once, then is refused (replayed); without the flag it opens again; a bad flag type is 422")
    func replay() async throws {
        let node = try await Self.node()
        let root = node.rootToken
        try await node.test { client in
            let token = try await Self.encrypt(client, token: root)
            let body = #"{"ciphertext":"\#(token)","reject_replay":true}"#
            #expect(try await client.send(.post, "/v1/keyrings/payments/decrypt", token: root, json: body).status == .ok)
            let again = try await client.send(.post, "/v1/keyrings/payments/decrypt", token: root, json: body)
            #expect(try again.status == .badRequest && again.errorCode() == "replayed")
            let plain = try await client.send(.post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(token)"}"#)
            #expect(plain.status == .ok)
            // In a batch the second copy of the same token fails alone.
            let other = try await Self.encrypt(client, token: root, plaintext: "AQ==")
            let batch = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root,
                json: #"{"batch_input":[{"ciphertext":"\#(other)"},{"ciphertext":"\#(other)"}],"reject_replay":true}"#)
            let items = try #require(try batch.json()["batch_results"] as? [[String: Any]])
            #expect(items[0]["plaintext"] as? String == "AQ==")
            #expect((items[1]["error"] as? [String: Any])?["code"] as? String == "replayed")
            // A token dated outside the window is refused too.
            node.advance(seconds: 301)
            let late = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(token)","reject_replay":true}"#)
            #expect(try late.status == .badRequest && late.errorCode() == "replayed")
            let badType = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(token)","reject_replay":"yes"}"#)
            #expect(try badType.status == .unprocessableContent && badType.errorCode() == "invalid_request")
        }
    }

    @Test("the replay memory is in the database: a node reopened on it still refuses the token")
    func replayAcrossRestart() async throws {
        let node = try await Self.node()
        let root = node.rootToken
        let body = try await node.test { client in
            let token = try await Self.encrypt(client, token: root, plaintext: "AQ==")
            let body = #"{"ciphertext":"\#(token)","reject_replay":true}"#
            #expect(try await client.send(.post, "/v1/keyrings/payments/decrypt", token: root, json: body).status == .ok)
            return body
        }
        let reopened = Node(
            database: try NodeDatabase(path: node.directory.databasePath, node: node.directory.keys), owner: node.directory.secret,
            clock: NodeClock { 1_800_000_000 }, identity: try node.directory.signingIdentity)
        let again = try await NodeApplication.make(node: reopened, logger: node.logger).test(.router) { client in
            try await client.send(.post, "/v1/keyrings/payments/decrypt", token: root, json: body)
        }
        #expect(try again.status == .badRequest && again.errorCode() == "replayed")
    }

    @Test("the options keep the routes' refusals: missing token 401, denied 403, bad base64 422")
    func refusals() async throws {
        let node = try await Self.node()
        try await node.test { client in
            let encrypt = #"{"plaintext":"AQ==","sign_origin":true}"#
            let missing = try await client.send(.post, "/v1/keyrings/payments/encrypt", json: encrypt)
            #expect(try missing.status == .unauthorized && missing.errorCode() == "missing_token")
            let other = try await client.createToken(
                root: node.rootToken, #"{"policies":[{"operations":["encrypt","decrypt"],"keyrings":["hr"]}]}"#)
            let denied = try await client.send(.post, "/v1/keyrings/payments/encrypt", token: other.token, json: encrypt)
            #expect(try denied.status == .forbidden && denied.errorCode() == "permission_denied")
            let decrypt = #"{"ciphertext":"arbor:v1:AA","require_signed_origin":true,"reject_replay":true}"#
            let deniedDecrypt = try await client.send(.post, "/v1/keyrings/payments/decrypt", token: other.token, json: decrypt)
            #expect(deniedDecrypt.status == .forbidden)
            let badBase64 = try await client.send(
                .post, "/v1/keyrings/payments/encrypt", token: node.rootToken, json: #"{"plaintext":"%%","sign_origin":true}"#)
            #expect(try badBase64.status == .unprocessableContent && badBase64.errorCode() == "invalid_request")
            // An option the route does not apply is refused, never ignored.
            for (path, json) in [
                ("encrypt", #"{"plaintext":"AQ==","reject_replay":true}"#), ("decrypt", #"{"ciphertext":"x","sign_origin":true}"#),
                ("rewrap", #"{"ciphertext":"x","require_signed_origin":true}"#),
            ] {
                let response = try await client.send(.post, "/v1/keyrings/payments/\(path)", token: node.rootToken, json: json)
                #expect(try response.status == .unprocessableContent && response.errorCode() == "invalid_request", "\(path)")
            }
        }
    }
}
