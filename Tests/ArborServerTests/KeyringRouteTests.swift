import ArborServer
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArborCore

/// `/v1/keyrings/*` through the real router: every route with and without a good token and
/// policy, each kind of bad input with its exact status and code, batches, data keys, and no
/// plaintext or seed left in the database file.
@Suite("keyring routes")
struct KeyringRouteTests {
    static let routes: [(HTTPRequest.Method, String, String?)] = [
        (.post, "/v1/keyrings", #"{"name":"payments"}"#), (.get, "/v1/keyrings", nil), (.get, "/v1/keyrings/payments", nil),
        (.post, "/v1/keyrings/payments/rotate", nil), (.post, "/v1/keyrings/payments/config", #"{"min_decryption_epoch":1}"#),
        (.post, "/v1/keyrings/payments/encrypt", #"{"plaintext":"AQ=="}"#),
        (.post, "/v1/keyrings/payments/decrypt", #"{"ciphertext":"arbor:v1:AA"}"#),
        (.post, "/v1/keyrings/payments/rewrap", #"{"ciphertext":"arbor:v1:AA"}"#),
        (.post, "/v1/keyrings/payments/datakey", #"{"mode":"wrapped"}"#),
    ]

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test("create, list, read, rotate and retire a keyring")
    func lifecycle() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            let created = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"payments"}"#)
            #expect(created.status == .created)
            let body = try created.json()
            #expect(body["name"] as? String == "payments")
            #expect(body["owner"] as? String == "dev/node-1")
            #expect(body["cipher"] as? String == "chacha20-poly1305")
            #expect(body["active_epoch"] as? Int == 1 && body["minimum_epoch"] as? Int == 1 && body["epochs"] as? [Int] == [1])
            let aes = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"hr","cipher":"aes-256-gcm"}"#)
            #expect(try aes.json()["cipher"] as? String == "aes-256-gcm")

            let again = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"payments"}"#)
            #expect(again.status == .conflict)
            #expect(try again.errorCode() == "conflict")
            let cipher = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"x","cipher":"des"}"#)
            #expect(cipher.status == .unprocessableContent)
            #expect(try cipher.errorCode() == "invalid_request")
            let badName = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":""}"#)
            #expect(badName.status == .unprocessableContent)

            let list = try await client.send(.get, "/v1/keyrings", token: root)
            let names = (try list.json()["keyrings"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["hr", "payments"])

            let rotated = try await client.send(.post, "/v1/keyrings/payments/rotate", token: root)
            #expect(try rotated.json()["active_epoch"] as? Int == 2)
            #expect(try rotated.json()["epochs"] as? [Int] == [1, 2])
            let configured = try await client.send(
                .post, "/v1/keyrings/payments/config", token: root, json: #"{"min_decryption_epoch":2}"#)
            #expect(configured.status == .ok)
            let read = try await client.send(.get, "/v1/keyrings/payments", token: root)
            #expect(try read.json()["minimum_epoch"] as? Int == 2)
            #expect(try read.json()["epochs"] as? [Int] == [2])
            let beyond = try await client.send(.post, "/v1/keyrings/payments/config", token: root, json: #"{"min_decryption_epoch":3}"#)
            #expect(beyond.status == .unprocessableContent)
            #expect(try beyond.errorCode() == "invalid_request")
            let zero = try await client.send(.post, "/v1/keyrings/payments/config", token: root, json: #"{"min_decryption_epoch":0}"#)
            #expect(zero.status == .unprocessableContent)
        }
    }

    @Test("every keyring route is 401 without a token, or with a wrong one")
    func unauthenticated() async throws {
        let node = try await TestNode()
        try await node.test { client in
            for (method, path, json) in Self.routes {
                let missing = try await client.send(method, path, json: json)
                #expect(missing.status == .unauthorized, "\(path)")
                #expect(try missing.errorCode() == "missing_token", "\(path)")
                let wrong = try await client.send(method, path, token: "arb_" + String(repeating: "B", count: 43), json: json)
                #expect(wrong.status == .unauthorized, "\(path)")
                #expect(try wrong.errorCode() == "invalid_token", "\(path)")
            }
        }
    }

    @Test("a token allowed encrypt on pay* only: encrypts there, and is 403 everywhere else")
    func policies() async throws {
        let node = try await TestNode()
        try await node.test { client in
            for name in ["payments", "hr"] {
                _ = try await client.send(.post, "/v1/keyrings", token: node.rootToken, json: #"{"name":"\#(name)"}"#)
            }
            let limited = try await client.createToken(
                root: node.rootToken, #"{"policies":[{"operations":["encrypt"],"keyrings":["pay*"]}]}"#)
            let allowed = try await client.send(
                .post, "/v1/keyrings/payments/encrypt", token: limited.token, json: #"{"plaintext":"\#(Self.base64("hi"))"}"#)
            #expect(allowed.status == .ok)
            let other = try await client.send(.post, "/v1/keyrings/hr/encrypt", token: limited.token, json: #"{"plaintext":"AQ=="}"#)
            #expect(other.status == .forbidden)
            #expect(try other.errorCode() == "permission_denied")
            for (method, path, json) in Self.routes where !path.hasSuffix("/encrypt") {
                let denied = try await client.send(method, path, token: limited.token, json: json)
                #expect(denied.status == .forbidden, "\(path)")
                #expect(try denied.errorCode() == "permission_denied", "\(path)")
            }
        }
        #expect(node.counter("arbor_auth_denied_total", [("operation", "encrypt")]) == 1)
    }

    @Test("encrypt, decrypt and rewrap one item; wrong context, tampered ciphertext and retired epoch are 400 with their code")
    func singleItems() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            _ = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"payments"}"#)
            let context = Self.base64("order-42")
            let encrypted = try await client.send(
                .post, "/v1/keyrings/payments/encrypt", token: root,
                json: #"{"plaintext":"\#(Self.base64("card 4111"))","context":"\#(context)"}"#)
            #expect(encrypted.status == .ok)
            let token = try #require(try encrypted.json()["ciphertext"] as? String)
            #expect(token.hasPrefix("arbor:v1:"))

            let decrypted = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(token)","context":"\#(context)"}"#)
            #expect(try decrypted.json()["plaintext"] as? String == Self.base64("card 4111"))

            let wrongContext = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(token)","context":"AQ=="}"#)
            #expect(wrongContext.status == .badRequest)
            #expect(try wrongContext.errorCode() == "authentication_failed")

            var characters = Array(token)
            let index = characters.count - 10
            characters[index] = characters[index] == "A" ? "B" : "A"
            let tampered = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root,
                json: #"{"ciphertext":"\#(String(characters))","context":"\#(context)"}"#)
            #expect(tampered.status == .badRequest)
            #expect(try tampered.errorCode() == "authentication_failed")

            let junk = try await client.send(.post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"hello"}"#)
            #expect(junk.status == .unprocessableContent)
            #expect(try junk.errorCode() == "invalid_request")

            _ = try await client.send(.post, "/v1/keyrings/payments/rotate", token: root)
            let rewrapped = try await client.send(
                .post, "/v1/keyrings/payments/rewrap", token: root, json: #"{"ciphertext":"\#(token)","context":"\#(context)"}"#)
            let newToken = try #require(try rewrapped.json()["ciphertext"] as? String)
            #expect(newToken != token)
            _ = try await client.send(.post, "/v1/keyrings/payments/config", token: root, json: #"{"min_decryption_epoch":2}"#)
            let retired = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(token)","context":"\#(context)"}"#)
            #expect(retired.status == .badRequest)
            #expect(try retired.errorCode() == "retired_epoch")
            let current = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(newToken)","context":"\#(context)"}"#)
            #expect(try current.json()["plaintext"] as? String == Self.base64("card 4111"))
        }
    }

    @Test("bad input: malformed JSON, wrong types, invalid base64, missing fields, unknown keyring")
    func badInput() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            _ = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"payments"}"#)
            let cases: [(String, String, HTTPResponse.Status, String)] = [
                ("/v1/keyrings/payments/encrypt", #"{"plaintext": "#, .badRequest, "malformed_json"),
                ("/v1/keyrings/payments/encrypt", #"{"plaintext": 5}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings/payments/encrypt", #"{"plaintext": "%%%"}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings/payments/encrypt", #"{"plaintext": "AQ==", "context": "%%"}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings/payments/encrypt", #"{}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings/payments/encrypt", #"{"batch_input": "x"}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings/payments/config", #"{"min_decryption_epoch": "two"}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings/payments/config", #"{"min_decryption_epoch": -1}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings/payments/datakey", #"{"mode": "both"}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings", #"{"name": 7}"#, .unprocessableContent, "invalid_request"),
                ("/v1/keyrings/absent/encrypt", #"{"plaintext": "AQ=="}"#, .notFound, "not_found"),
                ("/v1/keyrings/absent/rotate", "", .notFound, "not_found"),
                ("/v1/keyrings/absent/datakey", #"{"mode": "wrapped"}"#, .notFound, "not_found"),
            ]
            for (path, json, status, code) in cases {
                let response = try await client.send(.post, path, token: root, json: json)
                #expect(response.status == status, "\(path) \(json)")
                #expect(try response.errorCode() == code, "\(path) \(json)")
            }
            let absent = try await client.send(.get, "/v1/keyrings/absent", token: root)
            #expect(absent.status == .notFound)
            #expect(try absent.errorCode() == "not_found")
        }
    }

    @Test("a batch answers every item in order; a bad item gets its error and the others their result")
    func batches() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            _ = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"payments"}"#)
            let encrypted = try await client.send(
                .post, "/v1/keyrings/payments/encrypt", token: root,
                json: #"""
                    {"batch_input":[{"plaintext":"\#(Self.base64("one"))","context":"AQ=="},{"plaintext":"%%"},
                    {"plaintext":"\#(Self.base64("three"))"}]}
                    """#)
            #expect(encrypted.status == .ok)
            let results = try #require(try encrypted.json()["batch_results"] as? [[String: Any]])
            try #require(results.count == 3)
            let first = try #require(results[0]["ciphertext"] as? String)
            let third = try #require(results[2]["ciphertext"] as? String)
            #expect((results[1]["error"] as? [String: Any])?["code"] as? String == "invalid_request")
            #expect(results[1]["ciphertext"] == nil)

            let decrypted = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root,
                json: #"""
                    {"batch_input":[{"ciphertext":"\#(first)","context":"AQ=="},{"ciphertext":"\#(first)"},{"ciphertext":"\#(third)"}]}
                    """#)
            let opened = try #require(try decrypted.json()["batch_results"] as? [[String: Any]])
            #expect(opened[0]["plaintext"] as? String == Self.base64("one"))
            #expect((opened[1]["error"] as? [String: Any])?["code"] as? String == "authentication_failed")
            #expect(opened[2]["plaintext"] as? String == Self.base64("three"))

            _ = try await client.send(.post, "/v1/keyrings/payments/rotate", token: root)
            let rewrapped = try await client.send(
                .post, "/v1/keyrings/payments/rewrap", token: root,
                json: #"{"batch_input":[{"ciphertext":"\#(third)"},{"ciphertext":"junk"}]}"#)
            let moved = try #require(try rewrapped.json()["batch_results"] as? [[String: Any]])
            #expect((moved[0]["ciphertext"] as? String)?.hasPrefix("arbor:v1:") == true)
            #expect((moved[1]["error"] as? [String: Any])?["code"] as? String == "invalid_request")

            let item = #"{"plaintext":"AQ=="}"#
            let full = try await client.send(
                .post, "/v1/keyrings/payments/encrypt", token: root,
                json: #"{"batch_input":[\#(Array(repeating: item, count: 1000).joined(separator: ","))]}"#)
            #expect(try (full.json()["batch_results"] as? [Any])?.count == 1000)
            let over = try await client.send(
                .post, "/v1/keyrings/payments/encrypt", token: root,
                json: #"{"batch_input":[\#(Array(repeating: item, count: 1001).joined(separator: ","))]}"#)
            #expect(over.status == .contentTooLarge)
            #expect(try over.errorCode() == "limit_exceeded")
            let both = try await client.send(
                .post, "/v1/keyrings/payments/encrypt", token: root, json: #"{"plaintext":"AQ==","batch_input":[\#(item)]}"#)
            #expect(both.status == .unprocessableContent)
            let empty = try await client.send(.post, "/v1/keyrings/payments/encrypt", token: root, json: #"{"batch_input":[]}"#)
            #expect(empty.status == .unprocessableContent)
        }
    }

    @Test("a data key is 32 fresh bytes whose token decrypts to it; wrapped mode returns the token only")
    func dataKeys() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let root = node.rootToken
            _ = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"payments"}"#)
            let plain = try await client.send(
                .post, "/v1/keyrings/payments/datakey", token: root, json: #"{"mode":"plaintext","context":"AQ=="}"#)
            let key = try #require(try plain.json()["plaintext"] as? String)
            let token = try #require(try plain.json()["ciphertext"] as? String)
            #expect(Data(base64Encoded: key)?.count == 32)
            let opened = try await client.send(
                .post, "/v1/keyrings/payments/decrypt", token: root, json: #"{"ciphertext":"\#(token)","context":"AQ=="}"#)
            #expect(try opened.json()["plaintext"] as? String == key)

            let wrapped = try await client.send(.post, "/v1/keyrings/payments/datakey", token: root, json: #"{"mode":"wrapped"}"#)
            #expect(wrapped.status == .ok)
            #expect(try wrapped.json()["plaintext"] == nil)
            #expect((try wrapped.json()["ciphertext"] as? String)?.hasPrefix("arbor:v1:") == true)
        }
    }

    @Test("after encrypting through the API, the database holds none of the plaintexts, data keys or seeds")
    func nothingInClearOnDisk() async throws {
        let node = try await TestNode()
        let plaintexts = ["card 4111 1111 1111 1111", "iban DE89 3704 0044 0532 0130 00"]
        let dataKey = try await node.test { client -> String in
            let root = node.rootToken
            _ = try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"payments"}"#)
            for plaintext in plaintexts {
                let response = try await client.send(
                    .post, "/v1/keyrings/payments/encrypt", token: root, json: #"{"plaintext":"\#(Self.base64(plaintext))"}"#)
                #expect(response.status == .ok)
            }
            _ = try await client.send(.post, "/v1/keyrings/payments/rotate", token: root)
            let key = try await client.send(.post, "/v1/keyrings/payments/datakey", token: root, json: #"{"mode":"plaintext"}"#)
            return try #require(try key.json()["plaintext"] as? String)
        }
        let keyring = try #require(try await node.node.keyrings.load("payments"))
        let seeds = keyring.seeds.values.map { $0.withUnsafeBytes { Array($0) } }
        #expect(seeds.count == 2)
        let bytes = try SecretStorageTests().databaseBytes(node)
        let scan = SecretStorageTests()
        #expect(scan.contains(bytes, Array("payments".utf8)), "the scan must see the database's contents")
        for plaintext in plaintexts {
            #expect(!scan.contains(bytes, Array(plaintext.utf8)))
            #expect(!scan.contains(bytes, Array(Self.base64(plaintext).utf8)))
        }
        #expect(!scan.contains(bytes, Array(try #require(Data(base64Encoded: dataKey)))))
        #expect(!scan.contains(bytes, Array(dataKey.utf8)))
        for seed in seeds {
            #expect(!scan.contains(bytes, seed))
            #expect(!scan.contains(bytes, Array(Data(seed).base64EncodedString().utf8)))
        }
        let logs = node.logLines.withLock { $0.joined() }
        for plaintext in plaintexts { #expect(!logs.contains(Self.base64(plaintext))) }
        #expect(!logs.contains(dataKey))
    }
}
