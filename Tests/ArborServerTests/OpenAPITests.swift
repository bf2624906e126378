import ArborServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The committed OpenAPI document and the router agree: every route is documented, every
/// documented operation is routed, and the node serves the same document.
@Suite("OpenAPI document")
struct OpenAPITests {
    /// docs/openapi.json, from the source tree.
    static func document() throws -> [String: Any] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.json").path
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// "GET /v1/sys/random/{bytes}" for each documented operation.
    static func documented() throws -> Set<String> {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        return Set(paths.flatMap { path, operations in operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
    }

    @Test("every route is documented and every documented operation is routed")
    func routesMatchTheDocument() async throws {
        let node = try await TestNode()
        // A node in enroll mode (arbor serve --enroll) answers routes of its own.
        let waiting = try EnrollmentRouteTests.waiting(for: node)
        defer { try? FileManager.default.removeItem(atPath: waiting.path) }
        let routes = NodeApplication.router(for: node.node).routes + EnrollmentMode.router(for: waiting).routes
        let routed = Set(
            routes.map { route in
                // Hummingbird writes a parameter as ":name"; OpenAPI as "{name}".
                let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                return "\(route.method.rawValue) /" + path.joined(separator: "/")
            })
        let documented = try Self.documented()
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        #expect(routed.count >= 7)
    }

    @Test("the documented policy operations are exactly the node's")
    func operations() throws {
        let schemas = try #require((try Self.document()["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let rule = try #require((schemas["PolicyRule"] as? [String: Any])?["properties"] as? [String: Any])
        let items = try #require(((rule["operations"] as? [String: Any])?["items"] as? [String: Any])?["enum"] as? [String])
        #expect(Set(items) == Set(Operation.allCases.map(\.rawValue)))
    }

    @Test("every operation documents the refusals any request can meet: 429 rate_limited (not in enroll mode) and 431")
    func refusalsDocumented() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        for (path, operations) in paths {
            for (method, operation) in operations where methods.contains(method) {
                let operation = try #require(operation as? [String: Any])
                let responses = try #require(operation["responses"] as? [String: Any])
                // Enroll mode has the header limit but no rate limit (docs/server.md).
                let rateLimited = operation["x-arbor-enroll-mode"] as? Bool != true
                #expect(responses["429"] != nil || !rateLimited, "\(method.uppercased()) \(path) lacks 429")
                #expect(responses["431"] != nil, "\(method.uppercased()) \(path) lacks 431")
            }
        }
    }

    @Test("the node serves the document at /v1/openapi.json, without a token")
    func served() async throws {
        let node = try await TestNode()
        let served = try await node.test { client in try await client.send(.get, "/v1/openapi.json") }
        #expect(served.status == .ok)
        #expect(served.headers[.contentType] == "application/json")
        let text = String(buffer: served.body)
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.json").path
        #expect(text == (try String(contentsOfFile: path, encoding: .utf8)))
        #expect(text.contains("\"openapi\": \"3.1.0\""))
    }
}
