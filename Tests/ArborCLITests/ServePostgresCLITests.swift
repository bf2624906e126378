import ArborTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `arbor serve --e2ee-database`: the node keeps the E2EE data in a real PostgreSQL, which it
/// prepares at start and lets go of at shutdown (docs/server.md, "PostgreSQL for E2EE data").
@Suite("arbor serve --e2ee-database", .serialized)
struct ServePostgresCLITests {
    @Test("the node brings the PostgreSQL schema up at start, keeps its E2EE data there, never shows the URL's password, and stops cleanly")
    func migratesAndStops() async throws {
        guard let server = try PostgresServer.startIfInstalled(for: "arbor serve --e2ee-database") else { return }
        defer { server.stop() }
        let database = try server.createDatabase()
        let arbor = try ArborExecutable()
        defer { arbor.remove() }
        // Trust authentication: the password is never asked for, so it must only never be shown.
        let url = server.url(database: database).replacingOccurrences(of: "://arbor@", with: "://arbor:not-shown-1234@")
        let node = try NodeProcess(arbor, ["serve", "--dev", "--listen", "127.0.0.1:0", "--e2ee-database", url], logs: "node")

        var version = ""
        for _ in 0..<600 where version != "1" {
            version = (try? server.query("SELECT max(version) FROM e2ee_schema_version", in: database)) ?? ""
            if version != "1" { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(version == "1", "the node did not migrate the database: \(node.stderr)")
        let tables = try server.query("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'e2ee\\_%'", in: database)
        #expect(tables == "9")

        // The node's E2EE routes use it: a sign-in challenge for an unknown name makes the decoy
        // secret there, and the same name gets the same made-up answer again.
        let first = try await node.post("/v1/e2ee/sessions/challenge", token: nil, json: ["name": "nobody"])
        let second = try await node.post("/v1/e2ee/sessions/challenge", token: nil, json: ["name": "nobody"])
        #expect(first.status == 200 && second.status == 200, "\(first.body)")
        #expect(first.body["salt"] as? String != nil && first.body["salt"] as? String == second.body["salt"] as? String)
        #expect(try server.query("SELECT count(*) FROM e2ee_settings WHERE name = 'decoy_secret'", in: database) == "1")

        node.signal(SIGTERM)
        let exit = node.waitForExit()
        #expect(exit.reason == .exit && exit.status == 0, "\(node.stderr)")
        let printed = node.stderr + ((try? String(contentsOfFile: node.stdoutPath, encoding: .utf8)) ?? "")
        #expect(printed.contains("E2EE data in PostgreSQL"))
        #expect(!printed.contains("not-shown-1234"))
    }
}
