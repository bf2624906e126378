import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// `/v1/transit/*` through the real router: each route's answer in Vault's envelope, Vault's
/// `{"errors":[…]}` bodies with Vault's statuses, 403 for a missing or wrong token and for a
/// denied policy, batches with `reference` and per-item `error`, and encrypt's upsert.
@Suite("Transit routes")
struct TransitRouteTests {
    static let vault = HTTPField.Name("X-Vault-Token")!

    static let routes: [(HTTPRequest.Method, String, String?)] = [
        (.post, "/v1/transit/keys/k", nil), (.get, "/v1/transit/keys/k", nil), (.post, "/v1/transit/keys/k/rotate", nil),
        (.post, "/v1/transit/keys/k/config", #"{"min_decryption_version":1}"#),
        (.post, "/v1/transit/encrypt/k", #"{"plaintext":"AQ=="}"#), (.put, "/v1/transit/decrypt/k", #"{"ciphertext":"arbor:v1:AA"}"#),
        (.post, "/v1/transit/rewrap/k", #"{"ciphertext":"arbor:v1:AA"}"#), (.post, "/v1/transit/datakey/plaintext/k", nil),
        (.post, "/v1/transit/datakey/wrapped/k", nil), (.post, "/v1/transit/random", #"{"bytes":8}"#), (.post, "/v1/transit/random/8", nil),
    ]

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// The body's `data`, after checking Vault's envelope around it.
    static func data(_ response: TestResponse) throws -> [String: Any] {
        let body = try response.json()
        #expect(body["lease_id"] as? String == "" && body["renewable"] as? Bool == false && body["lease_duration"] as? Int == 0)
        #expect(body["wrap_info"] is NSNull && body["warnings"] is NSNull && body["auth"] is NSNull)
        #expect((body["request_id"] as? String)?.isEmpty == false)
        return try #require(body["data"] as? [String: Any])
    }

    /// Vault's error list; fails the test if the body is anything else (the node's own envelope).
    static func errors(_ response: TestResponse) throws -> [String] {
        let body = try response.json()
        #expect(body.keys.sorted() == ["errors"])
        return try #require(body["errors"] as? [String])
    }

    @Test("keys: create (with type), read in Vault's shape, rotate, config retires below min_decryption_version")
    func keys() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            let created = try Self.data(try await client.send(.put, "/v1/transit/keys/k", token: root, header: Self.vault))
            #expect(created["name"] as? String == "k" && created["type"] as? String == "aes256-gcm96")
            #expect(created["keys"] as? [String: Int] == ["1": 0])
            #expect(created["latest_version"] as? Int == 1 && created["min_decryption_version"] as? Int == 1)
            #expect(created["supports_encryption"] as? Bool == true && created["supports_signing"] as? Bool == false)
            let chacha = try await client.send(
                .post, "/v1/transit/keys/c", token: root, header: Self.vault, json: #"{"type":"chacha20-poly1305"}"#)
            #expect(try Self.data(chacha)["type"] as? String == "chacha20-poly1305")
            // `bao write -f` sends a JSON null body.
            let null = try await client.send(.put, "/v1/transit/keys/n", token: root, header: Self.vault, json: "null")
            #expect(try Self.data(null)["type"] as? String == "aes256-gcm96")
            let again = try await client.send(.post, "/v1/transit/keys/k", token: root, header: Self.vault)
            #expect(again.status == .ok)
            let rsa = try await client.send(.post, "/v1/transit/keys/r", token: root, header: Self.vault, json: #"{"type":"rsa-2048"}"#)
            #expect(rsa.status == .badRequest)
            #expect(try Self.errors(rsa) == ["key type 'rsa-2048' is not supported; use aes256-gcm96 or chacha20-poly1305"])

            _ = try await client.send(.post, "/v1/transit/keys/k/rotate", token: root, header: Self.vault)
            let rotated = try Self.data(try await client.send(.post, "/v1/transit/keys/k/rotate", token: root, header: Self.vault))
            #expect(rotated["latest_version"] as? Int == 3 && rotated["keys"] as? [String: Int] == ["1": 0, "2": 0, "3": 0])
            let configured = try await client.send(
                .post, "/v1/transit/keys/k/config", token: root, header: Self.vault, json: #"{"min_decryption_version":2}"#)
            #expect(try Self.data(configured)["keys"] as? [String: Int] == ["2": 0, "3": 0])
            let read = try Self.data(try await client.send(.get, "/v1/transit/keys/k", token: root, header: Self.vault))
            #expect(read["min_decryption_version"] as? Int == 2 && read["latest_version"] as? Int == 3)

            let missing = try await client.send(.get, "/v1/transit/keys/nope", token: root, header: Self.vault)
            #expect(missing.status == .notFound)
            #expect(try Self.errors(missing) == [])
            let notJSON = try await client.send(.post, "/v1/transit/keys/k/config", token: root, header: Self.vault, json: "{")
            #expect(notJSON.status == .badRequest)
            #expect(try Self.errors(notJSON).count == 1)
        }
    }

    @Test("encrypt upserts its key; decrypt, rewrap after rotation, key_version, too-old versions and bad input are Vault's 400s")
    func data() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            let context = Self.base64("tenant-1")
            let encrypted = try Self.data(
                try await client.send(
                    .post, "/v1/transit/encrypt/fresh", token: root, header: Self.vault,
                    json: #"{"plaintext":"\#(Self.base64("hello"))","context":"\#(context)"}"#))
            let ciphertext = try #require(encrypted["ciphertext"] as? String)
            #expect(ciphertext.hasPrefix("arbor:v1:") && encrypted["key_version"] as? Int == 1)
            #expect(try Self.data(try await client.send(.get, "/v1/transit/keys/fresh", token: root, header: Self.vault))["name"] != nil)

            let decrypted = try await client.send(
                .put, "/v1/transit/decrypt/fresh", token: root, header: Self.vault,
                json: #"{"ciphertext":"\#(ciphertext)","context":"\#(context)"}"#)
            #expect(try Self.data(decrypted)["plaintext"] as? String == Self.base64("hello"))
            let wrongContext = try await client.send(
                .post, "/v1/transit/decrypt/fresh", token: root, header: Self.vault, json: #"{"ciphertext":"\#(ciphertext)"}"#)
            #expect(wrongContext.status == .badRequest)
            #expect(
                try Self.errors(wrongContext) == [
                    "the token does not authenticate: it was altered, or the context differs from the one it was sealed with"
                ])

            _ = try await client.send(.post, "/v1/transit/keys/fresh/rotate", token: root, header: Self.vault)
            let rewrapped = try Self.data(
                try await client.send(
                    .post, "/v1/transit/rewrap/fresh", token: root, header: Self.vault,
                    json: #"{"ciphertext":"\#(ciphertext)","context":"\#(context)"}"#))
            #expect(rewrapped["key_version"] as? Int == 2)
            let pinned = try await client.send(
                .post, "/v1/transit/encrypt/fresh", token: root, header: Self.vault, json: #"{"plaintext":"AQ==","key_version":2}"#)
            #expect(try Self.data(pinned)["key_version"] as? Int == 2)
            let older = try await client.send(
                .post, "/v1/transit/encrypt/fresh", token: root, header: Self.vault, json: #"{"plaintext":"AQ==","key_version":1}"#)
            #expect(older.status == .badRequest)
            #expect(try Self.errors(older) == ["key_version 1 is not the latest version 2; Arbor seals with the latest"])

            _ = try await client.send(
                .post, "/v1/transit/keys/fresh/config", token: root, header: Self.vault, json: #"{"min_decryption_version":2}"#)
            let retired = try await client.send(
                .post, "/v1/transit/decrypt/fresh", token: root, header: Self.vault,
                json: #"{"ciphertext":"\#(ciphertext)","context":"\#(context)"}"#)
            #expect(retired.status == .badRequest)
            let badBase64 = try await client.send(
                .post, "/v1/transit/encrypt/fresh", token: root, header: Self.vault, json: #"{"plaintext":"%%"}"#)
            #expect(badBase64.status == .badRequest)
            #expect(try Self.errors(badBase64) == ["the field 'plaintext' is not valid base64"])
            let noKey = try await client.send(
                .post, "/v1/transit/decrypt/none", token: root, header: Self.vault, json: #"{"ciphertext":"\#(ciphertext)"}"#)
            #expect(noKey.status == .notFound)
            #expect(try Self.errors(noKey).count == 1)
            let wrongType = try await client.send(
                .post, "/v1/transit/encrypt/fresh", token: root, header: Self.vault, json: #"{"plaintext":1}"#)
            #expect(wrongType.status == .badRequest)
            #expect(try Self.errors(wrongType) == ["the field 'plaintext' must be a string"])
        }
    }

    @Test("batches: results in order with reference echoed, a bad item fails alone, all failed is 400")
    func batches() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            let input = #"{"batch_input":[{"plaintext":"AQ==","reference":"a"},{"plaintext":"%%","reference":"b"},{"plaintext":"Ag=="}]}"#
            let sealed = try await client.send(.post, "/v1/transit/encrypt/b", token: root, header: Self.vault, json: input)
            #expect(sealed.status == .ok)
            let results = try #require(try Self.data(sealed)["batch_results"] as? [[String: Any]])
            #expect(results.map { $0["reference"] as? String } == ["a", "b", ""])
            #expect(results[0]["key_version"] as? Int == 1 && results[1]["error"] as? String == "the field 'plaintext' is not valid base64")
            let first = try #require(results[0]["ciphertext"] as? String)
            let third = try #require(results[2]["ciphertext"] as? String)

            let opened = try await client.send(
                .post, "/v1/transit/decrypt/b", token: root, header: Self.vault,
                json: #"{"batch_input":[{"ciphertext":"\#(third)","reference":"x"},{"ciphertext":"\#(first)"}]}"#)
            let plaintexts = try #require(try Self.data(opened)["batch_results"] as? [[String: Any]])
            #expect(plaintexts.map { $0["plaintext"] as? String } == ["Ag==", "AQ=="])
            #expect(plaintexts.map { $0["reference"] as? String } == ["x", ""])

            let failed = try await client.send(
                .post, "/v1/transit/decrypt/b", token: root, header: Self.vault, json: #"{"batch_input":[{"ciphertext":"arbor:v1:AA"}]}"#)
            #expect(failed.status == .badRequest)
            let failures = try #require(try Self.data(failed)["batch_results"] as? [[String: Any]])
            #expect(failures.count == 1 && failures[0]["error"] is String)
        }
    }

    @Test("data keys (plaintext and wrapped) and random bytes")
    func dataKeysAndRandom() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            _ = try await client.send(.post, "/v1/transit/keys/d", token: root, header: Self.vault)
            let plain = try Self.data(try await client.send(.post, "/v1/transit/datakey/plaintext/d", token: root, header: Self.vault))
            let key = try #require(plain["plaintext"] as? String)
            #expect(Data(base64Encoded: key)?.count == 32 && plain["key_version"] as? Int == 1)
            let opened = try await client.send(
                .post, "/v1/transit/decrypt/d", token: root, header: Self.vault,
                json: #"{"ciphertext":"\#(plain["ciphertext"] as? String ?? "")"}"#)
            #expect(try Self.data(opened)["plaintext"] as? String == key)
            let wrapped = try Self.data(try await client.send(.put, "/v1/transit/datakey/wrapped/d", token: root, header: Self.vault))
            #expect(wrapped["plaintext"] == nil && (wrapped["ciphertext"] as? String)?.hasPrefix("arbor:v1:") == true)
            let bits = try await client.send(
                .post, "/v1/transit/datakey/plaintext/d", token: root, header: Self.vault, json: #"{"bits":512}"#)
            #expect(bits.status == .badRequest)

            let random = try Self.data(
                try await client.send(.post, "/v1/transit/random", token: root, header: Self.vault, json: #"{"bytes":12}"#))
            #expect(Data(base64Encoded: random["random_bytes"] as? String ?? "")?.count == 12)
            let defaulted = try Self.data(try await client.send(.post, "/v1/transit/random", token: root, header: Self.vault))
            #expect(Data(base64Encoded: defaulted["random_bytes"] as? String ?? "")?.count == 32)
            let hex = try Self.data(
                try await client.send(.put, "/v1/transit/random/4", token: root, header: Self.vault, json: #"{"format":"hex"}"#))
            #expect((hex["random_bytes"] as? String)?.count == 8)
            let tooMany = try await client.send(.post, "/v1/transit/random/0", token: root, header: Self.vault)
            #expect(tooMany.status == .badRequest)
            #expect(try Self.errors(tooMany).count == 1)
        }
    }

    @Test("every route: 403 permission denied with no token, a wrong token, or a policy that does not allow it")
    func permissionDenied() async throws {
        // Dozens of failed authentications on purpose: the limit on them has its own tests.
        var limits = NodeLimits()
        limits.failedAuthenticationRate = nil
        let node = try await TestNode(limits: limits)
        try await node.test { client in
            let limited = try await client.createToken(root: node.rootToken, #"{"policies":[{"operations":["sign"]}]}"#)
            for (method, uri, json) in Self.routes {
                for token in [nil, "wrong", limited.token] {
                    let response = try await client.send(method, uri, token: token, header: Self.vault, json: json)
                    #expect(response.status == .forbidden, "\(method) \(uri) with \(token == nil ? "no token" : "a bad token")")
                    #expect(try Self.errors(response) == ["permission denied"])
                }
            }
            // Encrypting to a missing key creates it, so it needs keyring.create as well as encrypt.
            let encryptOnly = try await client.createToken(
                root: node.rootToken, #"{"policies":[{"operations":["encrypt"],"keyrings":["*"]}]}"#)
            let upsert = try await client.send(
                .post, "/v1/transit/encrypt/new", token: encryptOnly.token, header: Self.vault, json: #"{"plaintext":"AQ=="}"#)
            #expect(upsert.status == .forbidden)
            // Other routes keep the node's own envelope.
            let own = try await client.send(.get, "/v1/keyrings", token: "wrong")
            #expect(own.status == .unauthorized)
            #expect(try own.errorCode() == "invalid_token")
        }
    }
}
