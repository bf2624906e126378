import ArborServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The browser client's files at /app/ (docs/e2ee.md §18): every file of the source folder is
/// served with its content type and a strict Content-Security-Policy, nothing else is, and no
/// page carries inline script. What the files do is checked in Chromium (scripts/browser-tests.py).
@Suite("Browser client files")
struct AppRouteTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/ArborServer/E2EE/App")

    static func sourceFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test("every file is served as it is in the source tree, with its type and the policy")
    func served() async throws {
        let node = try await TestNode()
        let names = try Self.sourceFiles()
        #expect(Set(names).isSuperset(of: ["e2ee.js", "client.js", "chat.js", "chat.html", "chat.css", "wordlist.js"]))
        for name in names {
            let response = try await node.test { client in try await client.send(.get, "/app/\(name)") }
            #expect(response.status == .ok, "\(name)")
            let type = response.headers[.contentType] ?? ""
            let expected = ["js": "text/javascript", "html": "text/html", "css": "text/css"][(name as NSString).pathExtension]
            #expect(expected.map { type.hasPrefix($0) } == true, "\(name): \(type)")
            let policy = response.headers[.contentSecurityPolicy] ?? ""
            let strict = policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe")
            #expect(strict, "\(policy)")
            #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let source = try Data(contentsOf: Self.folder.appendingPathComponent(name))
            #expect(Data(response.body.readableBytesView) == source, "\(name) differs from the source tree")
        }
    }

    @Test("/app redirects to the chat page; an unknown name or a path is 404 with the error envelope")
    func redirectsAndRefusals() async throws {
        let node = try await TestNode()
        let redirect = try await node.test { client in try await client.send(.get, "/app") }
        #expect(redirect.status == .seeOther)
        #expect(redirect.headers[.location] == "/app/chat.html")
        for uri in ["/app/missing.js", "/app/..%2FPackage.swift", "/app/App/e2ee.js"] {
            let response = try await node.test { client in try await client.send(.get, uri) }
            #expect(response.status == .notFound, "\(uri)")
            #expect(try response.errorCode() == "not_found")
        }
    }

    @Test("no page has inline script or an inline event handler (the policy would block them)")
    func noInlineScript() throws {
        for name in try Self.sourceFiles() where name.hasSuffix(".html") {
            let page = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
            #expect(page.range(of: #"<script(?![^>]*\bsrc=)[^>]*>"#, options: .regularExpression) == nil, "\(name) has an inline script")
            #expect(page.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "\(name) has an inline event handler")
        }
    }
}
