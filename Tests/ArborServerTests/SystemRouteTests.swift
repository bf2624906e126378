import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// Health, readiness, random bytes and the router's own errors, through the real router.
@Suite("system routes")
struct SystemRouteTests {
    @Test("health and ready answer without a token")
    func health() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let health = try await client.send(.get, "/v1/sys/health")
            #expect(health.status == .ok)
            #expect(try health.json()["status"] as? String == "ok")
            #expect(health.headers[HTTPField.Name("X-Request-Id")!] != nil)
            let ready = try await client.send(.get, "/v1/sys/ready")
            #expect(ready.status == .ok)
            #expect(try ready.json()["status"] as? String == "ready")
        }
    }

    @Test("random: allowed by a policy with 'random', 403 without, 401 with no token")
    func random() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let allowed = try await client.createToken(root: node.rootToken, #"{"policies":[{"operations":["random"]}]}"#)
            let response = try await client.send(.get, "/v1/sys/random/16", token: allowed.token)
            #expect(response.status == .ok)
            let encoded = try #require(try response.json()["random"] as? String)
            #expect(Data(base64Encoded: encoded)?.count == 16)
            let again = try #require(try await client.send(.get, "/v1/sys/random/16", token: allowed.token).json()["random"] as? String)
            #expect(again != encoded)

            let denied = try await client.createToken(
                root: node.rootToken, #"{"policies":[{"operations":["encrypt"],"keyrings":["*"]}]}"#)
            let forbidden = try await client.send(.get, "/v1/sys/random/16", token: denied.token)
            #expect(forbidden.status == .forbidden)
            #expect(try forbidden.errorCode() == "permission_denied")

            let anonymous = try await client.send(.get, "/v1/sys/random/16")
            #expect(anonymous.status == .unauthorized)
            #expect(try anonymous.errorCode() == "missing_token")
        }
        #expect(node.counter("arbor_auth_denied_total", [("operation", "random")]) == 1)
    }

    @Test(
        "random: a count out of range is 422, a count that is not a number is 400",
        arguments: [
            ("0", 422, "invalid_request"), ("65537", 422, "invalid_request"), ("-1", 422, "invalid_request"), ("abc", 400, "bad_request"),
        ])
    func randomBounds(count: String, status: Int, code: String) async throws {
        let node = try await TestNode()
        try await node.test { client in
            let response = try await client.send(.get, "/v1/sys/random/\(count)", token: node.rootToken)
            #expect(response.status.code == status)
            #expect(try response.errorCode() == code)
        }
    }

    @Test("unknown routes and wrong methods are 404 not_found, in the envelope")
    func routerErrors() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let missing = try await client.send(.get, "/v1/no/such/route", token: node.rootToken)
            #expect(missing.status == .notFound)
            #expect(try missing.errorCode() == "not_found")
            let wrongMethod = try await client.send(.delete, "/v1/sys/health")
            #expect(wrongMethod.status == .notFound)
            #expect(try wrongMethod.errorCode() == "not_found")
        }
    }
}
