import ArborCore
import ArborKeyStore
import ArborServer
import Foundation
import Testing

/// Streaming through the real binary: `arbor serve --dev` seals and opens 64 MiB with curl
/// uploading and downloading, the sealed file opens with `arbor decrypt --keyring`, a modified
/// chunk makes curl report a broken transfer, and the node's peak memory stays bounded.
@Suite("arbor serve streaming", .serialized)
struct ServeStreamCLITests {
    static let size = 64 << 20
    static let chunk = 64 * 1024

    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// curl's exit status; `-T` streams the file as the body instead of reading it into memory.
    func curl(_ url: String, token: String, upload: String, output: String) throws -> Int32 {
        try arbor.runTool(
            "/usr/bin/curl",
            ["-sS", "--fail", "-X", "POST", "-H", "X-Arbor-Token: \(token)", "-H", "Expect:", "-T", upload, "-o", output, url]
        ).status
    }

    /// A dev node on a free port, for a test that talks to it with curl; nil (recorded) without curl.
    func devNode() throws -> ServeCLITests.RunningNode? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            Issue.record("curl is needed for this test")
            return nil
        }
        return try ServeCLITests.RunningNode(arbor, ["serve", "--dev", "--listen", "127.0.0.1:0"], expectToken: true)
    }

    /// The node's peak resident set (VmHWM), in bytes.
    static func peakMemory(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1024
    }

    @Test("64 MiB in and out of a dev node with curl, opened by arbor decrypt --keyring; peak RSS under 200 MiB")
    func largeStream() async throws {
        defer { arbor.remove() }
        guard let node = try devNode() else { return }
        var stopped = false
        defer { if !stopped { _ = node.terminate() } }
        let token = try #require(node.rootToken)
        let dataDirectory = String(try #require(node.banner.first { $0.hasPrefix("Development node") }?.split(separator: " ")[4]))

        // A keyring put straight into the running node's store (the keyring routes are not needed here).
        let directory = try NodeDataDirectory.open(dataDirectory)
        let keyring = try MeshKeyring.create(name: "bulk", owner: directory.secret)
        try await SealedKeyringStore(database: try NodeDatabase(path: directory.databasePath, node: directory.keys)).save(keyring)
        try SecureFile.write(secret: MeshKeyringFile.encode(keyring), to: arbor.path("bulk.keyring"))

        var plaintext = [UInt8](repeating: 0, count: Self.size)
        for index in stride(from: 0, to: Self.size, by: 8) { plaintext[index] = UInt8(truncatingIfNeeded: index >> 10) }
        try Data(plaintext).write(to: URL(fileURLWithPath: arbor.path("plain")))

        let base = node.url + "/v1/keyrings/bulk/stream/"
        #expect(try curl(base + "encrypt", token: token, upload: "plain", output: "sealed") == 0)
        let sealed = try Data(contentsOf: URL(fileURLWithPath: arbor.path("sealed")))
        #expect(sealed.count > Self.size)

        let opened = try arbor.run(["decrypt", "--keyring", arbor.path("bulk.keyring"), "-o", "opened", "sealed"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: arbor.path("opened"))) == Data(plaintext))

        #expect(try curl(base + "decrypt", token: token, upload: "sealed", output: "back") == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: arbor.path("back"))) == Data(plaintext))

        // A chunk near the middle modified: the node closes the connection mid-body. curl fails
        // with 18 (body cut short) once its upload is done, or 55/56 (send/receive failed) while
        // still uploading, never 0, and what it received is verified plaintext only.
        var tampered = sealed
        let middle = sealed.count - (Self.size / Self.chunk) * (Self.chunk + 16) + 512 * (Self.chunk + 16) + 1000
        tampered[middle] ^= 0x01
        try tampered.write(to: URL(fileURLWithPath: arbor.path("tampered")))
        let broken = try curl(base + "decrypt", token: token, upload: "tampered", output: "partial")
        let partial = (try? Data(contentsOf: URL(fileURLWithPath: arbor.path("partial")))) ?? Data()
        #expect([18, 55, 56].contains(broken), "curl exit \(broken), \(partial.count) bytes")
        #expect(partial.count <= 512 * Self.chunk)
        #expect(partial == Data(plaintext.prefix(partial.count)))

        let peak = try Self.peakMemory(of: node.process.processIdentifier)
        #expect(peak < 200 << 20, "peak RSS \(peak >> 20) MiB")
        stopped = true
        #expect(node.terminate().status == 0)
    }

    @Test("an upload that sends Expect: 100-continue is told to go on at once (100 Continue), then answered")
    func expectContinue() throws {
        defer { arbor.remove() }
        guard let node = try devNode() else { return }
        defer { _ = node.terminate() }
        let token = try #require(node.rootToken)
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: arbor.path("small")))
        func upload(token: String) throws -> (status: Int32, trace: String, answer: String) {
            let run = try arbor.runTool(
                "/usr/bin/curl",
                [
                    "-sS", "-v", "-X", "POST", "-H", "X-Arbor-Token: \(token)", "-H", "Expect: 100-continue", "-T", "small", "-o", "answer",
                    node.url + "/v1/keyrings/stream/stream/encrypt",
                ])
            return (run.status, run.stderr, (try? String(contentsOfFile: arbor.path("answer"), encoding: .utf8)) ?? "")
        }
        // The route answers 404 for a keyring that does not exist: the 100 comes first all the same.
        let missing = try upload(token: token)
        #expect(missing.status == 0)
        #expect(missing.trace.contains("< HTTP/1.1 100 Continue"), "\(missing.trace)")
        #expect(missing.trace.contains("< HTTP/1.1 404"), "\(missing.trace)")
        let refused = try upload(token: "arb_wrong")
        #expect(refused.trace.contains("< HTTP/1.1 100 Continue") && refused.trace.contains("< HTTP/1.1 401"), "\(refused.trace)")
        #expect(refused.answer.contains("invalid_token"))
    }

    @Test("a body that is not an age file, still uploading when the 422 goes out, leaves the node serving")
    func refusedWhileUploading() throws {
        defer { arbor.remove() }
        guard let node = try devNode() else { return }
        var stopped = false
        defer { if !stopped { _ = node.terminate() } }
        let token = try #require(node.rootToken)
        let created = try arbor.runTool(
            "/usr/bin/curl",
            ["-sSf", "-o", "/dev/null", "-H", "X-Arbor-Token: \(token)", "-d", #"{"name":"k1"}"#, node.url + "/v1/keyrings"])
        #expect(created.status == 0)
        // A body announced as 8 MiB: 2 MiB of zeros, then the rest slowly, on a raw socket, so the
        // node answers while the upload goes on (python3 is one of the test peers).
        let port = try #require(node.url.split(separator: ":").last)
        let script = """
            import socket, time
            s = socket.create_connection(("127.0.0.1", \(port)))
            s.sendall(b"POST /v1/keyrings/k1/stream/decrypt HTTP/1.1\\r\\nHost: x\\r\\nX-Arbor-Token: \(token)\\r\\nContent-Length: 8388608\\r\\n\\r\\n")
            s.sendall(b"\\0" * (2 << 20))
            s.settimeout(10)
            print(s.recv(64).split(b" ")[1].decode(), end="")
            try:
                for _ in range(6):
                    s.sendall(b"\\0" * (1 << 20))
                    time.sleep(0.2)
            except OSError:
                pass
            s.close()
            """
        let status = try arbor.runTool("/usr/bin/env", ["python3", "-c", script]).stdout
        #expect(status == "422")
        // Still serving, on a new connection.
        #expect(try arbor.runTool("/usr/bin/curl", ["-sSf", "-o", "/dev/null", node.url + "/v1/sys/health"]).status == 0)
        #expect(node.process.isRunning)
        stopped = true
        #expect(node.terminate().status == 0)
    }
}
