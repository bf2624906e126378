import ArborKeyStore
import ArborTestSupport
import Crypto
import Foundation
import Testing

@testable import ArborCore

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 11 point 3, through the real executables: three `arbor serve` nodes and etcd; a keyring
/// granted to all three through etcd; a message sealed on A; A and etcd stopped; the message
/// opened on B and C. The loopback traffic of the whole run is captured with tshark (every TCP
/// packet on `lo` but the test client's own API calls to the nodes, which carry the plaintext by
/// design over plain HTTP here) and holds none of the run's epoch seeds, branch secrets,
/// per-message key or plaintext.
@Suite("cross-mesh decryption", .serialized)
struct CrossMeshCaptureTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    @Test("sealed on A, opened on B and C with A and etcd stopped; no secret on the wire")
    func sealHereOpenThere() async throws {
        defer { arbor.remove() }
        guard let tshark = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            return Peers.missing("cross-mesh capture: tshark is not installed (apt-get install -y tshark)")
        }
        guard let etcd = try await EtcdServer.startIfInstalled(for: "cross-mesh capture") else { return }
        defer { etcd.stop() }
        let ports = try (0..<3).map { _ in try EtcdServer.freeLoopbackPort() }
        let capture = try Capture(
            tshark: tshark, file: arbor.path("run.pcap"),
            filter: "tcp and not (" + ports.map { "port \($0)" }.joined(separator: " or ") + ")",
            log: arbor.path("tshark.log"))
        guard capture.started else {
            capture.stop()
            return Peers.missing("cross-mesh capture: tshark cannot capture on lo here: \(capture.log)")
        }

        try arbor.initRoot()
        let pass = ["--root", "root.key", "--passphrase-file", "pass"]
        let paths = ["eu", "eu/node-a", "eu/node-b", "eu/node-c"]
        for path in paths {
            let name = path.replacingOccurrences(of: "/", with: "_")
            try #require(try arbor.run(["derive", path] + pass + ["-o", "\(name).key"]).status == 0)
            try #require(try arbor.run(["cert", "issue", path] + pass + ["-o", "\(name).chain"]).status == 0)
        }
        let names = ["eu_node-a", "eu_node-b", "eu_node-c"]
        let tokens = try names.map { node in
            let initialized = try arbor.run(["serve", "init", "--data", node, "--key", "\(node).key", "--chain", "\(node).chain", "--json"])
            try #require(initialized.status == 0, "\(initialized.stderr)")
            return try #require((try arbor.json(initialized) as? [String: Any])?["rootToken"] as? String)
        }
        let nodes = try names.enumerated().map { index, node in
            try NodeProcess(
                arbor, ["serve", "--data", node, "--listen", "127.0.0.1:\(ports[index])", "--etcd", etcd.clientURL], logs: node)
        }
        for node in nodes {
            try await waitFor("\(node.url) sees three members") {
                (try await node.get("/v1/sys/health").body["cluster"] as? [String: Any])?["members"] as? Int == 3
            }
        }
        try #require(try arbor.run(["keyring", "create", "payments", "--from", "eu.key"]).status == 0)
        for holder in ["eu/node-a", "eu/node-b", "eu/node-c"] {
            let granted = try arbor.run([
                "cluster", "grant", "--keyring", "keyrings/payments.keyring", "--key", "eu.key", "--chain", "eu.chain", "--to", holder,
                "--etcd", etcd.clientURL,
            ])
            try #require(granted.status == 0, "\(granted.stderr)")
        }
        for (index, node) in nodes.enumerated() {
            try await waitFor("\(node.url) holds the keyring") {
                try await node.get("/v1/keyrings/payments", token: tokens[index]).status == 200
            }
        }

        let plaintext = "wire transfer 7781-0042 to ACME, EUR 1,250,000.00"
        let encoded = Data(plaintext.utf8).base64EncodedString()
        let sealed = try await nodes[0].post("/v1/keyrings/payments/encrypt", token: tokens[0], json: ["plaintext": encoded])
        try #require(sealed.status == 200)
        let ciphertext = try #require(sealed.body["ciphertext"] as? String)

        nodes[0].signal(SIGTERM)
        #expect(nodes[0].waitForExit().status == 0)
        etcd.stop()
        for (index, node) in nodes.enumerated().dropFirst() {
            let opened = try await node.post("/v1/keyrings/payments/decrypt", token: tokens[index], json: ["ciphertext": ciphertext])
            #expect(opened.status == 200, "\(opened.body)")
            #expect(opened.body["plaintext"] as? String == encoded)
        }
        for node in nodes.dropFirst() {
            node.signal(SIGTERM)
            #expect(node.waitForExit().status == 0)
        }
        capture.stop()

        // What must not be on the wire.
        var scanner = LeakScanner()
        let keyring = try MeshKeyringFile.decode(try SecureFile.readSecret(arbor.path("keyrings/payments.keyring")))
        for (epoch, seed) in keyring.seeds { scanner.addAligned("epoch \(epoch) seed", seed.withUnsafeBytes { Array($0) }) }
        for path in paths {
            let secret = try NodeKeyFile.decode(
                try SecureFile.readSecret(arbor.path(path.replacingOccurrences(of: "/", with: "_") + ".key")))
            scanner.addAligned("branch secret of \(path)", secret.branchSecret.withUnsafeBytes { Array($0) })
        }
        let token = try MeshToken(text: ciphertext)
        let messageKey = token.provenance.messageKey(
            seed: try keyring.seed(for: token.provenance.epoch), header: token.header, context: []
        ).key
        scanner.addAligned("per-message key", messageKey.withUnsafeBytes { Array($0) })
        scanner.addAligned("plaintext", Array(plaintext.utf8))

        let wire = Array(try Data(contentsOf: URL(fileURLWithPath: arbor.path("run.pcap"))))
        // The capture saw the run: the etcd key of a member record, as the gateway's JSON carries it.
        let cluster = try CertificateChain(armored: try String(contentsOfFile: arbor.path("root.cert"), encoding: .utf8)).root.keyID
        let memberKey = Data("arbor/\(cluster.hex)/members/eu/node-b".utf8).base64EncodedString()
        #expect(wire.count > 10_000 && LeakScanner.contains(wire, Array(memberKey.utf8)), "the capture holds no etcd traffic of the run")
        let findings = scanner.scan(wire, file: "run.pcap")
        #expect(findings.isEmpty, "\(findings)")
    }

    private func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("not reached within 60 s: \(what)")
        throw ArborExecutable.SetupFailed(description: what)
    }
}

/// tshark writing every packet on `lo` that matches `filter` to `file`, until `stop`.
final class Capture: @unchecked Sendable {
    let process = Process()
    let logPath: String
    private(set) var started = false

    init(tshark: String, file: String, filter: String, log: String) throws {
        logPath = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-i", "lo", "-f", filter, "-w", file, "-q"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        for _ in 0..<200 where process.isRunning {
            if self.log.contains("Capturing on") {
                started = true
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM: tshark flushes the file and exits (SIGINT may be ignored by a test runner's children).
    func stop() {
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        // Reaped here, with a deadline: Foundation's waitUntilExit was seen spinning for good on
        // Linux after tshark had exited (a zombie it never collected).
        let deadline = Date().addingTimeInterval(30)
        var status: Int32 = 0
        while Date() < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped == -1 && errno == ECHILD) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
    }
}

extension LeakScanner {
    /// A secret as it could appear raw, in hex, or inside any base64 text (etcd's gateway writes
    /// values as base64, and a secret inside a value may start at any of three byte alignments).
    mutating func addAligned(_ label: String, _ bytes: [UInt8]) {
        add(label, bytes: bytes, forms: [.raw, .hex])
        for skip in 0..<3 {
            let aligned = Array(bytes.dropFirst(skip).prefix((bytes.count - skip) / 3 * 3))
            add(label + " from byte \(skip) (base64)", bytes: Array(Data(aligned).base64EncodedString().utf8), forms: [.raw])
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        var scanner = LeakScanner()
        scanner.add("needle", bytes: needle, forms: [.raw])
        return !scanner.scan(haystack, file: "").isEmpty
    }
}
