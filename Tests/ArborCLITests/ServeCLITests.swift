import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `arbor serve` through the real executable: it starts, answers over real HTTP with the token
/// it printed, and on SIGTERM stops cleanly with status 0.
@Suite("arbor serve", .serialized)
struct ServeCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// A running `arbor serve`, its banner read line by line from stdout until the address (and,
    /// when one is printed, the root token) is known.
    final class RunningNode {
        let process = Process()
        let errors = Pipe()
        var url = ""
        var rootToken: String?
        var banner: [String] = []

        init(_ arbor: ArborExecutable, _ arguments: [String], expectToken: Bool) throws {
            process.executableURL = arbor.url
            process.arguments = arguments
            process.currentDirectoryURL = arbor.directory
            let output = Pipe()
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // A server that never prints its address must not hang the suite.
            let process = self.process
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 120)
                if process.isRunning { process.interrupt() }
            }
            var pending = Data()
            while url.isEmpty || (expectToken && rootToken == nil) {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending = Data(pending[(newline + 1)...])
                    banner.append(line)
                    if line.hasPrefix("Listening on ") { url = String(line.dropFirst("Listening on ".count)) }
                    if line.hasPrefix("Root token: ") { rootToken = String(line.dropFirst("Root token: ".count)) }
                }
            }
        }

        func get(_ path: String, token: String? = nil) async throws -> (status: Int, body: [String: Any]) {
            var request = URLRequest(url: URL(string: url + path)!)
            if let token { request.setValue(token, forHTTPHeaderField: "X-Arbor-Token") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return (status, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }

        /// SIGTERM, then the exit status and everything it wrote to stderr.
        func terminate() -> (reason: Process.TerminationReason, status: Int32, stderr: String) {
            process.terminate()
            process.waitUntilExit()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return (process.terminationReason, process.terminationStatus, stderr)
        }
    }

    @Test("serve --dev on a free port: health and lookup-self over HTTP, then SIGTERM exits 0")
    func devNode() async throws {
        defer { arbor.remove() }
        let node = try RunningNode(arbor, ["serve", "--dev", "--listen", "127.0.0.1:0"], expectToken: true)
        try #require(node.url.hasPrefix("http://127.0.0.1:"), "\(node.banner)")
        #expect(!node.url.hasSuffix(":0"))
        let token = try #require(node.rootToken)
        #expect(token.hasPrefix("arb_"))
        #expect(node.banner.contains { $0.hasPrefix("Try: curl -H 'X-Arbor-Token: \(token)' \(node.url)/v1/auth/token/lookup-self") })

        let health = try await node.get("/v1/sys/health")
        #expect(health.status == 200)
        #expect(health.body["status"] as? String == "ok")
        let lookup = try await node.get("/v1/auth/token/lookup-self", token: token)
        #expect(lookup.status == 200)
        #expect(lookup.body["root"] as? Bool == true)
        let refused = try await node.get("/v1/auth/token/lookup-self", token: "arb_wrong")
        #expect(refused.status == 401)
        #expect((refused.body["error"] as? [String: Any])?["code"] as? String == "invalid_token")

        let temporary = try #require(node.banner.first { $0.hasPrefix("Development node") }?.split(separator: " ")[4])
        #expect(FileManager.default.fileExists(atPath: String(temporary)))
        let ended = node.terminate()
        #expect(ended.reason == .exit, "\(ended.stderr)")
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(!FileManager.default.fileExists(atPath: String(temporary)), "the dev data directory is removed at exit")
        #expect(ended.stderr.contains("\"message\":\"node stopped\""))
        #expect(!ended.stderr.contains(token))
    }

    @Test("--dev-root-token fixes the root token")
    func fixedDevToken() async throws {
        defer { arbor.remove() }
        let node = try RunningNode(
            arbor, ["serve", "--dev", "--listen", "127.0.0.1:0", "--dev-root-token", "dev-only-root"], expectToken: true)
        #expect(node.rootToken == "dev-only-root")
        #expect(try await node.get("/v1/auth/token/lookup-self", token: "dev-only-root").status == 200)
        #expect(node.terminate().status == 0)
    }

    @Test("serve init prints the root token once; serve --data runs on that directory")
    func initThenServe() async throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let derived = try arbor.run(["derive", "eu/node-1", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"])
        try #require(derived.status == 0, "\(derived.stderr)")
        let issued = try arbor.run(["cert", "issue", "eu/node-1", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"])
        try #require(issued.status == 0, "\(issued.stderr)")

        let initialized = try arbor.run(["serve", "init", "--data", "data", "--node-key", "node.key", "--chain", "node.chain"])
        try #require(initialized.status == 0, "\(initialized.stderr)")
        let tokenLine = try #require(initialized.stdout.split(separator: "\n").first { $0.hasPrefix("Root token") })
        let token = String(try #require(tokenLine.split(separator: " ").last))
        let mode = (try FileManager.default.attributesOfItem(atPath: arbor.path("data"))[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o700)

        let again = try arbor.run(["serve", "init", "--data", "data", "--node-key", "node.key", "--chain", "node.chain"])
        #expect(again.status == 6, "an existing data directory is not overwritten")

        let node = try RunningNode(arbor, ["serve", "--data", "data", "--listen", "127.0.0.1:0"], expectToken: false)
        #expect(node.rootToken == nil, "a real node never prints its root token")
        #expect(try await node.get("/v1/auth/token/lookup-self", token: token).status == 200)
        #expect(try await node.get("/v1/auth/token/lookup-self", token: "arb_wrong").status == 401)
        #expect(node.terminate().status == 0)

        // The audit log holds both requests and a head signed at shutdown: nothing is unsigned.
        let verified = try arbor.run([
            "audit", "verify", "data/audit.log", "--chain", "node.chain", "--anchor", "root.cert", "--json",
        ])
        #expect(verified.status == 0, "\(verified.stderr)")
        let report = try #require(try arbor.json(verified) as? [String: Any])
        #expect(report["entries"] as? Int == 2 && report["unsignedEntries"] as? Int == 0, "\(report)")
        let log = try String(contentsOfFile: arbor.path("data/audit.log"), encoding: .utf8)
        #expect(!log.contains(token) && log.contains("\"result\":\"invalid_token\"") && log.contains("\"client\":\"127.0.0.1\""))
        // A second run continues the same chain.
        let restarted = try RunningNode(arbor, ["serve", "--data", "data", "--listen", "127.0.0.1:0"], expectToken: false)
        #expect(try await restarted.get("/v1/auth/token/lookup-self", token: token).status == 200)
        #expect(restarted.terminate().status == 0)
        let again2 = try arbor.run(["audit", "verify", "data/audit.log", "--chain", "node.chain", "--anchor", "root.cert", "--json"])
        #expect((try arbor.json(again2) as? [String: Any])?["entries"] as? Int == 3, "\(again2.stderr)")
    }

    @Test("serve refuses contradictory or malformed options with status 2")
    func badOptions() throws {
        defer { arbor.remove() }
        for arguments in [
            ["serve"], ["serve", "--dev", "--data", "x"], ["serve", "--data", "x", "--dev-root-token", "t"],
            ["serve", "--dev", "--listen", "localhost"], ["serve", "--dev", "--listen", "127.0.0.1:70000"],
        ] {
            let outcome = try arbor.run(arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
        }
    }
}
