import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import NIOCore
import Testing

@testable import ArborServer

/// Rate limits through the real router: requests per token and failed authentications per
/// client address, each 429 `rate_limited` with `Retry-After`; the test moves the node's clock
/// instead of sleeping.
@Suite("Node rate limits")
struct RateLimitTests {
    static let lookup = "/v1/auth/token/lookup-self"

    @Test(
        "failed attempts are taken before the token is looked at: guesses sent at once get no more than the burst, and a success gives its attempt back"
    )
    func failedAuthenticationReservation() throws {
        var limits = NodeLimits()
        limits.failedAuthenticationRate = RateLimit(perSecond: 1, burst: 3)
        let clock = NodeClock(now: { 1_800_000_000 }, milliseconds: { 1_800_000_000_000 })
        let rates = NodeRateLimits(limits: limits, clock: clock, metrics: MetricsSystem.factory)
        // Three lookups under way from one address, none finished: a fourth is refused at once.
        for _ in 0..<3 { try rates.reserveAuthentication(client: "10.0.0.1") }
        #expect(throws: NodeError.self) { try rates.reserveAuthentication(client: "10.0.0.1") }
        // Another address is untouched, and successes never use up an address's attempts.
        for _ in 0..<10 {
            try rates.reserveAuthentication(client: "10.0.0.2")
            rates.authenticationSucceeded(client: "10.0.0.2")
        }
    }

    @Test("a token over its rate is 429 rate_limited with Retry-After; another token is not; time refills it")
    func perToken() async throws {
        var limits = NodeLimits()
        limits.requestRate = RateLimit(perSecond: 1, burst: 3)
        let node = try await TestNode(limits: limits)
        let root = node.rootToken
        try await node.test { client async throws in
            let other = try await client.createToken(root: root, #"{"policies":[{"operations":["random"],"keyrings":["*"]}]}"#)
            for _ in 0..<2 { #expect(try await client.send(.get, Self.lookup, token: root).status == .ok) }
            let refused = try await client.send(.get, Self.lookup, token: root)
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.errorCode() == "rate_limited")
            #expect(refused.headers[.retryAfter] == "1")
            #expect(try await client.send(.get, Self.lookup, token: other.token).status == .ok)
            // Transit answers Vault's shape, with the same header.
            let transit = try await client.send(.post, "/v1/transit/random/16", token: root, header: HTTPField.Name("X-Vault-Token")!)
            #expect(transit.status == .tooManyRequests)
            #expect(transit.headers[.retryAfter] == "1")
            #expect(try transit.json()["errors"] is [String])
            node.advance(seconds: 1)
            #expect(try await client.send(.get, Self.lookup, token: root).status == .ok)
            #expect(try await client.send(.get, Self.lookup, token: root).status == .tooManyRequests)
        }
        #expect(node.counter("arbor_rate_limited_total", [("limit", "requests")]) == 3)
    }

    @Test("repeated failed authentications from one address are 429, even with a valid token, until time passes")
    func failedAuthentication() async throws {
        var limits = NodeLimits()
        limits.failedAuthenticationRate = RateLimit(perSecond: 0.5, burst: 3)
        let node = try await TestNode(limits: limits)
        let root = node.rootToken
        try await node.test { client async throws in
            #expect(try await client.send(.get, Self.lookup).status == .unauthorized)
            for _ in 0..<2 { #expect(try await client.send(.get, Self.lookup, token: "arb_guess").status == .unauthorized) }
            let refused = try await client.send(.get, Self.lookup, token: "arb_guess")
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.errorCode() == "rate_limited")
            #expect(refused.headers[.retryAfter] == "2")
            // A right guess now would tell the guesser nothing: it is refused the same way.
            #expect(try await client.send(.get, Self.lookup, token: root).status == .tooManyRequests)
            // The open routes do not authenticate, so they still answer.
            #expect(try await client.send(.get, "/v1/sys/health").status == .ok)
            node.advance(seconds: 2)
            #expect(try await client.send(.get, Self.lookup, token: root).status == .ok)
        }
        #expect(node.counter("arbor_rate_limited_total", [("limit", "failed_authentication")]) == 2)
    }

    @Test("with no request rate set (the default), a token is never refused for its rate")
    func offByDefault() async throws {
        let node = try await TestNode()
        #expect(node.node.limits.requestRate == nil)
        let root = node.rootToken
        try await node.test { client async throws in
            for _ in 0..<50 { #expect(try await client.send(.get, Self.lookup, token: root).status == .ok) }
        }
    }

    @Test("the open routes are limited by client address when a request rate is set")
    func openRoutes() async throws {
        var limits = NodeLimits()
        limits.requestRate = RateLimit(perSecond: 1, burst: 2)
        let node = try await TestNode(limits: limits)
        try await node.test { client async throws in
            for _ in 0..<2 { #expect(try await client.send(.get, "/v1/sys/health").status == .ok) }
            let refused = try await client.send(.get, "/v1/sys/health")
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.errorCode() == "rate_limited")
        }
    }

    @Test("a refused request is audited with rate_limited and the token's masked accessor")
    func audited() async throws {
        var limits = NodeLimits()
        limits.requestRate = RateLimit(perSecond: 1, burst: 1)
        let audited = try await AuditTests.AuditedNode(limits: limits)
        defer { audited.remove() }
        let root = audited.rootToken
        try await audited.test { client async throws in
            #expect(try await client.send(.get, "/v1/sys/random/16", token: root).status == .ok)
            #expect(try await client.send(.get, "/v1/sys/random/16", token: root).status == .tooManyRequests)
        }
        let records = try audited.lines().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.map { $0["result"] as? String } == ["ok", "rate_limited"])
        #expect(records.last?["accessor"] as? String == records.first?["accessor"] as? String)
        #expect((records.last?["accessor"] as? String)?.isEmpty == false)
    }

    @Test("a batch over the node's batch limit is 413 limit_exceeded")
    func batchLimit() async throws {
        var limits = NodeLimits()
        limits.batchItems = 2
        let node = try await TestNode(limits: limits)
        let root = node.rootToken
        try await node.test { client async throws in
            #expect(try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"pay"}"#).status == .created)
            let items = Array(repeating: #"{"plaintext":"aGk="}"#, count: 3).joined(separator: ",")
            let response = try await client.send(.post, "/v1/keyrings/pay/encrypt", token: root, json: #"{"batch_input":[\#(items)]}"#)
            #expect(response.status == .contentTooLarge)
            #expect(try response.errorCode() == "limit_exceeded")
        }
    }

    @Test("headers over the node's limit are 431 with the error envelope, on a real connection")
    func headerLimit() async throws {
        var limits = NodeLimits()
        limits.headerBytes = 4096
        let node = try await TestNode(limits: limits)
        let logger = node.logger
        try await NodeApplication.make(node: node.node, port: 0, logger: logger).test(.live) { client async throws in
            var headers: HTTPFields = [:]
            headers[HTTPField.Name("X-Padding")!] = String(repeating: "a", count: 8192)
            let refused = try await client.execute(uri: "/v1/sys/health", method: .get, headers: headers)
            #expect(refused.status.code == 431)
            #expect(try refused.errorCode() == "headers_too_large")
        }
        try await NodeApplication.make(node: node.node, port: 0, logger: logger).test(.live) { client async throws in
            var headers: HTTPFields = [:]
            headers[HTTPField.Name("X-Padding")!] = String(repeating: "a", count: 2048)
            #expect(try await client.execute(uri: "/v1/sys/health", method: .get, headers: headers).status == .ok)
        }
    }
}
