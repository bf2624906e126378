import ArborTestSupport
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

    @Test("a second node on an address in use: one line saying so, exit 6")
    func addressInUse() throws {
        defer { arbor.remove() }
        let first = try RunningNode(arbor, ["serve", "--dev", "--listen", "127.0.0.1:0"], expectToken: true)
        let address = try #require(first.url.split(separator: "/").last.map(String.init), "\(first.banner)")
        let second = try arbor.run(["serve", "--dev", "--listen", address])
        #expect(second.status == 6, "\(second.stderr)")
        #expect(second.stderr.hasPrefix("arbor: error: the address to listen on is already in use"), "\(second.stderr)")
        #expect(second.stderr.split(separator: "\n").count == 1, "\(second.stderr)")
        #expect(first.terminate().status == 0)
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
        // End-to-end encryption's store: its own SQLite file beside the node database, 0600.
        let e2ee = (try FileManager.default.attributesOfItem(atPath: arbor.path("data/e2ee.sqlite"))[.posixPermissions] as? NSNumber)?
            .intValue
        #expect(e2ee == 0o600)
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

    /// Runs a tool from PATH; nil when it is not installed.
    func tool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String)? {
        guard
            let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
                .map({ "\($0)/\(name)" }).first(where: FileManager.default.isExecutableFile(atPath:))
        else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = arbor.directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("--tls-cert/--tls-key: HTTPS with TLS 1.3 only by default; TLS 1.2 and plain HTTP are refused")
    func tls() async throws {
        defer { arbor.remove() }
        guard
            let made = try tool(
                "openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls.key", "-out",
                    "tls.crt", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                ])
        else { return Peers.missing("TLS test: openssl is not installed") }
        try #require(made.status == 0, "\(made.output)")
        // A key others may read is refused, as every secret file is.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: arbor.path("tls.key"))
        let loose = try arbor.run(["serve", "--dev", "--listen", "127.0.0.1:0", "--tls-cert", "tls.crt", "--tls-key", "tls.key"])
        #expect(loose.status == 6, "\(loose.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: arbor.path("tls.key"))

        let node = try RunningNode(
            arbor, ["serve", "--dev", "--listen", "127.0.0.1:0", "--tls-cert", "tls.crt", "--tls-key", "tls.key"], expectToken: true)
        try #require(node.url.hasPrefix("https://127.0.0.1:"), "\(node.banner)")
        let health = node.url + "/v1/sys/health"
        guard let ok = try tool("curl", ["-sS", "--cacert", "tls.crt", health]) else {
            _ = node.terminate()
            return Peers.missing("TLS test: curl is not installed")
        }
        #expect(ok.status == 0 && ok.output.contains("\"status\":\"ok\""), "\(ok.output)")
        let version = try #require(try tool("curl", ["-sS", "-v", "-o", "/dev/null", "--cacert", "tls.crt", health]))
        #expect(version.output.contains("SSL connection using TLSv1.3"), "\(version.output)")
        let tls12 = try #require(try tool("curl", ["-sS", "--cacert", "tls.crt", "--tlsv1.2", "--tls-max", "1.2", health]))
        #expect(tls12.status != 0, "TLS 1.2 must be refused: \(tls12.output)")
        let plain = try #require(
            try tool("curl", ["-sS", "--max-time", "5", node.url.replacingOccurrences(of: "https", with: "http") + "/v1/sys/health"]))
        #expect(plain.status != 0 || !plain.output.contains("\"status\":\"ok\""), "plain HTTP must not be answered: \(plain.output)")
        #expect(node.terminate().status == 0)

        // --tls-min-version 1.2 allows it.
        let relaxed = try RunningNode(
            arbor,
            ["serve", "--dev", "--listen", "127.0.0.1:0", "--tls-cert", "tls.crt", "--tls-key", "tls.key", "--tls-min-version", "1.2"],
            expectToken: true)
        let allowed = try #require(
            try tool("curl", ["-sS", "--cacert", "tls.crt", "--tlsv1.2", "--tls-max", "1.2", relaxed.url + "/v1/sys/health"]))
        #expect(allowed.status == 0, "\(allowed.output)")
        #expect(relaxed.terminate().status == 0)
    }

    @Test("serve refuses contradictory or malformed options with status 2")
    func badOptions() throws {
        defer { arbor.remove() }
        for arguments in [
            ["serve"], ["serve", "--dev", "--data", "x"], ["serve", "--data", "x", "--dev-root-token", "t"],
            ["serve", "--dev", "--listen", "localhost"], ["serve", "--dev", "--listen", "127.0.0.1:70000"],
            ["serve", "--dev", "--tls-cert", "x.crt"], ["serve", "--dev", "--tls-cert", "x", "--tls-key", "y", "--tls-min-version", "1.1"],
        ] {
            let outcome = try arbor.run(arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
        }
    }
}
