import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A real `arbor serve` process whose stdout and stderr go to files in the test's directory (so a
/// node that logs a line per request never blocks on a full pipe, and the logs can be scanned
/// afterwards), with its address read from the first line it prints.
final class NodeProcess: @unchecked Sendable {
    struct Reply: @unchecked Sendable {
        let status: Int
        let body: [String: Any]
        /// The `X-Request-Id` the node answered with: the request's audit entry carries it.
        let requestID: String?
    }

    let process = Process()
    let stdoutPath: String
    let stderrPath: String
    // Set once in init, read only after.
    private(set) var url = ""

    /// Starts `arbor serve ARGUMENTS`, logging to `NAME.stdout` and `NAME.stderr`, and waits until it
    /// prints its address (up to two minutes on a loaded machine; a node that never does is killed).
    init(_ arbor: ArborExecutable, _ arguments: [String], logs name: String) throws {
        stdoutPath = arbor.path(name + ".stdout")
        stderrPath = arbor.path(name + ".stderr")
        for path in [stdoutPath, stderrPath] {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
        process.executableURL = arbor.url
        process.arguments = arguments
        process.currentDirectoryURL = arbor.directory
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A node that hangs must not hang the suite.
        let process = self.process
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 300)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let deadline = Date().addingTimeInterval(120)
        while url.isEmpty, process.isRunning, Date() < deadline {
            let printed = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("Listening on ") }) {
                url = String(line.dropFirst("Listening on ".count))
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        guard !url.isEmpty else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw ArborExecutable.SetupFailed(description: "arbor serve did not print its address: \(stderr)")
        }
    }

    // A test that stops early (a failed #require) leaves no node behind.
    deinit { if process.isRunning { kill(pid, SIGKILL) } }

    var pid: Int32 { process.processIdentifier }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to end (killing it after `timeout` seconds, which the caller's checks
    /// then report): how it ended and its status.
    func waitForExit(timeout: TimeInterval = 120) -> (reason: Process.TerminationReason, status: Int32) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            Issue.record("arbor serve did not stop within \(Int(timeout)) s; killed")
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        return (process.terminationReason, process.terminationStatus)
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func get(_ path: String, token: String? = nil) async throws -> Reply {
        try await send("GET", path, token: token, json: nil)
    }

    func post(_ path: String, token: String?, json: [String: Any] = [:]) async throws -> Reply {
        try await send("POST", path, token: token, json: json)
    }

    private func send(_ method: String, _ path: String, token: String?, json: [String: Any]?) async throws -> Reply {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        request.timeoutInterval = 120
        if let token { request.setValue(token, forHTTPHeaderField: "X-Arbor-Token") }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return Reply(
            status: http?.statusCode ?? 0, body: (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:],
            requestID: http?.value(forHTTPHeaderField: "X-Request-Id"))
    }
}

extension ArborExecutable {
    /// A root, a node `eu/node-1` certified by it (`node.key`, `node.chain`, `root.cert`), and its
    /// data directory `data` from `arbor serve init`; returns the root token it printed.
    func initializeNodeData() throws -> String {
        try initRoot()
        for arguments in [
            ["derive", "eu/node-1", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"],
            ["cert", "issue", "eu/node-1", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"],
        ] {
            let outcome = try run(arguments)
            guard outcome.status == 0 else { throw SetupFailed(description: "\(arguments[0]) failed: \(outcome.stderr)") }
        }
        let initialized = try run(["serve", "init", "--data", "data", "--node-key", "node.key", "--chain", "node.chain"])
        guard initialized.status == 0,
            let line = initialized.stdout.split(separator: "\n").first(where: { $0.hasPrefix("Root token") }),
            let token = line.split(separator: " ").last
        else { throw SetupFailed(description: "serve init failed: \(initialized.stderr)") }
        return String(token)
    }

    /// `arbor audit verify data/audit.log` against the node's chain and the root certificate.
    func verifyAuditLog() throws -> (outcome: Outcome, report: [String: Any]) {
        let outcome = try run(["audit", "verify", "data/audit.log", "--chain", "node.chain", "--anchor", "root.cert", "--json"])
        return (outcome, (try? json(outcome) as? [String: Any]) ?? [:])
    }
}
