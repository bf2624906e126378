import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// `/v1/auth/token/*` through the real router: each way a token is refused, with its status,
/// code and counter, and each way one is accepted.
@Suite("token routes")
struct TokenRouteTests {
    @Test("the root token is accepted in X-Arbor-Token, X-Vault-Token and Authorization: Bearer")
    func rootLookupSelf() async throws {
        let node = try await TestNode()
        try await node.test { client in
            for (name, value) in [
                ("X-Arbor-Token", node.rootToken), ("X-Vault-Token", node.rootToken), ("Authorization", "Bearer \(node.rootToken)"),
            ] {
                let response = try await client.send(.get, "/v1/auth/token/lookup-self", token: value, header: HTTPField.Name(name)!)
                #expect(response.status == .ok, "\(name)")
                let body = try response.json()
                #expect(body["root"] as? Bool == true)
                #expect(body["display_name"] as? String == "root")
                #expect(body["token"] == nil)
            }
        }
    }

    @Test("no token is 401 missing_token, counted")
    func missingToken() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let response = try await client.send(.get, "/v1/auth/token/lookup-self")
            #expect(response.status == .unauthorized)
            #expect(try response.errorCode() == "missing_token")
            let bearerOnly = try await client.send(.get, "/v1/auth/token/lookup-self", token: "Basic abc", header: .authorization)
            #expect(bearerOnly.status == .unauthorized)
        }
        #expect(node.counter("arbor_auth_failures_total", [("reason", "missing")]) == 2)
    }

    @Test("a wrong token is 401 invalid_token, counted, and never logged")
    func wrongToken() async throws {
        let node = try await TestNode()
        let wrong = "arb_" + String(repeating: "A", count: 43)
        try await node.test { client in
            let response = try await client.send(.get, "/v1/auth/token/lookup-self", token: wrong)
            #expect(response.status == .unauthorized)
            #expect(try response.errorCode() == "invalid_token")
            let huge = try await client.send(.get, "/v1/auth/token/lookup-self", token: String(repeating: "x", count: 4000))
            #expect(try huge.errorCode() == "invalid_token")
        }
        #expect(node.counter("arbor_auth_failures_total", [("reason", "unknown")]) == 2)
        let logs = node.logLines.withLock { $0.joined() }
        #expect(logs.contains("authentication failed"))
        #expect(!logs.contains(wrong))
    }

    @Test("a revoked token is 401 invalid_token")
    func revokedToken() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let child = try await client.createToken(root: node.rootToken, #"{"display_name":"ci"}"#)
            let lookup = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            #expect(lookup.status == .ok)
            #expect(try lookup.json()["accessor"] as? String == child.accessor)
            #expect(try lookup.json()["root"] as? Bool == false)
            let revoke = try await client.send(.post, "/v1/auth/token/revoke-self", token: child.token)
            #expect(revoke.status == .noContent)
            let after = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            #expect(after.status == .unauthorized)
            #expect(try after.errorCode() == "invalid_token")
            // The root token is untouched.
            #expect(try await client.send(.get, "/v1/auth/token/lookup-self", token: node.rootToken).status == .ok)
        }
    }

    @Test("a token past its TTL is 401 invalid_token, counted as expired")
    func expiredToken() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let child = try await client.createToken(root: node.rootToken, #"{"ttl":"60s"}"#)
            let fresh = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            #expect(fresh.status == .ok)
            #expect(try fresh.json()["expires_at"] as? Int == 1_800_000_060)
            node.advance(seconds: 59)
            #expect(try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token).status == .ok)
            node.advance(seconds: 1)
            let expired = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            #expect(expired.status == .unauthorized)
            #expect(try expired.errorCode() == "invalid_token")
        }
        #expect(node.counter("arbor_auth_failures_total", [("reason", "expired")]) == 1)
    }

    @Test("a token with a use count works that many times, then is 401")
    func exhaustedToken() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let child = try await client.createToken(root: node.rootToken, #"{"uses":2}"#)
            let first = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            #expect(try first.json()["uses_remaining"] as? Int == 1)
            let second = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            #expect(try second.json()["uses_remaining"] as? Int == 0)
            let third = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            #expect(third.status == .unauthorized)
            #expect(try third.errorCode() == "invalid_token")
        }
        #expect(node.counter("arbor_auth_failures_total", [("reason", "exhausted")]) == 1)
    }

    @Test("creating a token needs token.create: 403 permission_denied, counted")
    func createDenied() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let child = try await client.createToken(root: node.rootToken, #"{"policies":[{"operations":["random"]}]}"#)
            let response = try await client.send(.post, "/v1/auth/token/create", token: child.token, json: "{}")
            #expect(response.status == .forbidden)
            #expect(try response.errorCode() == "permission_denied")
        }
        #expect(node.counter("arbor_auth_denied_total", [("operation", "token.create")]) == 1)
    }

    @Test("a token hands on only rights it holds, and no longer than it lives")
    func noEscalation() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let parent = try await client.createToken(
                root: node.rootToken,
                #"{"ttl":3600,"policies":[{"operations":["token.create","encrypt"],"keyrings":["payments-*"]}]}"#)
            let wider = try await client.send(
                .post, "/v1/auth/token/create", token: parent.token, json: #"{"policies":[{"operations":["encrypt"],"keyrings":["*"]}]}"#)
            #expect(wider.status == .forbidden)
            #expect(try wider.errorCode() == "permission_denied")
            let otherOperation = try await client.send(
                .post, "/v1/auth/token/create", token: parent.token,
                json: #"{"policies":[{"operations":["decrypt"],"keyrings":["payments-eu"]}]}"#)
            #expect(otherOperation.status == .forbidden)
            let longer = try await client.send(.post, "/v1/auth/token/create", token: parent.token, json: #"{"ttl":"2h"}"#)
            #expect(longer.status == .unprocessableContent)
            #expect(try longer.errorCode() == "invalid_request")
            let narrower = try await client.send(
                .post, "/v1/auth/token/create", token: parent.token,
                json: #"{"ttl":"30m","policies":[{"operations":["encrypt"],"keyrings":["payments-eu","payments-us-*"]}]}"#)
            #expect(narrower.status == .created, "\(String(buffer: narrower.body))")
            // Without a TTL of its own, the child ends with its parent.
            let inherited = try await client.send(.post, "/v1/auth/token/create", token: parent.token, json: "{}")
            let info = try #require(try inherited.json()["info"] as? [String: Any])
            #expect(info["expires_at"] as? Int == 1_800_003_600)
        }
    }

    @Test("no route makes a root token: 'root' is not an operation")
    func noRootFromAPI() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let response = try await client.send(
                .post, "/v1/auth/token/create", token: node.rootToken, json: #"{"policies":[{"operations":["root"]}]}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.errorCode() == "invalid_request")
            let created = try await client.createToken(root: node.rootToken, "{}")
            let lookup = try await client.send(.get, "/v1/auth/token/lookup-self", token: created.token)
            #expect(try lookup.json()["root"] as? Bool == false)
        }
    }

    @Test(
        "bad create bodies are 4xx with their code",
        arguments: [
            (#"{"policies": [ {"operations": ["random"]"#, 400, "malformed_json"),
            ("not json", 400, "malformed_json"),
            (#"{"uses":"five"}"#, 422, "invalid_request"),
            (#"{"uses":0}"#, 422, "invalid_request"),
            (#"{"ttl":"forever"}"#, 422, "invalid_request"),
            (#"{"ttl":-5}"#, 422, "invalid_request"),
            (#"{"policies":{"operations":["random"]}}"#, 422, "invalid_request"),
            (#"{"policies":[{"keyrings":["a"]}]}"#, 422, "invalid_request"),
            (#"{"policies":[{"operations":["encrypt"]}]}"#, 422, "invalid_request"),
            (#"{"policies":[{"operations":["encrypt"],"keyrings":[""]}]}"#, 422, "invalid_request"),
            (#"{"policies":[{"operations":[]}]}"#, 422, "invalid_request"),
            ("[1,2,3]", 422, "invalid_request"),
        ])
    func badBodies(body: String, status: Int, code: String) async throws {
        let node = try await TestNode()
        try await node.test { client in
            let response = try await client.send(.post, "/v1/auth/token/create", token: node.rootToken, json: body)
            #expect(response.status.code == status, "\(String(buffer: response.body))")
            #expect(try response.errorCode() == code)
        }
    }

    @Test("a body over the limit is 413 body_too_large, before it is parsed")
    func hugeBody() async throws {
        let node = try await TestNode(limits: NodeLimits(jsonBodyBytes: 4096))
        try await node.test { client in
            let big = #"{"display_name":""# + String(repeating: "a", count: 8192) + #""}"#
            let response = try await client.send(.post, "/v1/auth/token/create", token: node.rootToken, json: big)
            #expect(response.status == .contentTooLarge)
            #expect(try response.errorCode() == "body_too_large")
        }
        let defaults = try await TestNode()
        try await defaults.test { client in
            let big = String(repeating: " ", count: 2 << 20) + "{}"
            let response = try await client.send(.post, "/v1/auth/token/create", token: defaults.rootToken, json: big)
            #expect(response.status == .contentTooLarge)
        }
    }

    @Test("the tokens the node made never appear in its log")
    func noTokenInLogs() async throws {
        let node = try await TestNode()
        let child = try await node.test { client in
            let child = try await client.createToken(root: node.rootToken, #"{"uses":1}"#)
            _ = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            _ = try await client.send(.get, "/v1/auth/token/lookup-self", token: child.token)
            _ = try await client.send(.post, "/v1/auth/token/revoke-self", token: node.rootToken)
            return child
        }
        let logs = node.logLines.withLock { $0.joined() }
        #expect(logs.contains(child.accessor))
        for secret in [node.rootToken, child.token, String(child.token.dropFirst(4))] { #expect(!logs.contains(secret)) }
    }
}
