import ArborCore
import ArborKeyStore
import ArborServer
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM with a request under way: the node refuses new connections, finishes the request, signs
/// the audit head and exits 0.
@Suite("arbor serve graceful shutdown", .serialized)
struct ServeShutdownTests {
    static let chunk = 64 * 1024
    static let chunks = 16

    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// curl run in the test's directory; its exit status and stdout.
    func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments
        process.currentDirectoryURL = arbor.directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Polls until `condition` holds, for up to `seconds`; whether it did.
    func eventually(within seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }

    @Test("SIGTERM amid a stream upload: new connections refused, the upload ends 200 and whole, exit 0, head signed at shutdown")
    func drainsInFlightStream() async throws {
        defer { arbor.remove() }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            Issue.record("curl is needed for this test")
            return
        }
        let root = try arbor.initializeNodeData()
        let node = try NodeProcess(arbor, ["serve", "--data", "data", "--listen", "127.0.0.1:0"], logs: "node")
        var stopped = false
        defer { if !stopped { node.signal(SIGKILL) } }
        try #require(try await node.post("/v1/keyrings", token: root, json: ["name": "stream"]).status == 201)

        // curl uploads what the test writes to its stdin, chunked, as the test writes it.
        let upload = Process()
        upload.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        upload.arguments = [
            "-sS", "--fail", "-X", "POST", "-H", "X-Arbor-Token: \(root)", "-H", "Expect:", "-T", "-", "-o", "sealed", "-w",
            "%{http_code}", node.url + "/v1/keyrings/stream/stream/encrypt",
        ]
        upload.currentDirectoryURL = arbor.directory
        let input = Pipe()
        let status = Pipe()
        upload.standardInput = input
        upload.standardOutput = status
        upload.standardError = FileHandle.nullDevice
        try upload.run()
        var plaintext = Data()
        func send(_ index: Int) throws {
            let piece = Data((0..<Self.chunk).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
            plaintext += piece
            try input.fileHandleForWriting.write(contentsOf: piece)
        }
        for index in 0..<Self.chunks / 4 { try send(index) }

        // The node has answered the request's head (its audit entry is written before the body
        // streams): the request is under way. Then SIGTERM.
        let started = eventually(within: 60) {
            ((try? String(contentsOfFile: arbor.path("data/audit.log"), encoding: .utf8)) ?? "")
                .contains("\"keyring\":\"stream\",\"operation\":\"encrypt\"")
        }
        try #require(started, "the stream request never reached the node")
        node.signal(SIGTERM)

        // New connections are refused (curl: 7, could not connect) while the upload is still open.
        let health = node.url + "/v1/sys/health"
        let refused = try eventually(within: 60) { try curl(["-sS", "--max-time", "10", health]).status == 7 }
        #expect(refused, "the node still accepts connections after SIGTERM")

        // The rest of the body, over a few hundred milliseconds; then the upload ends.
        for index in Self.chunks / 4..<Self.chunks {
            try send(index)
            try await Task.sleep(for: .milliseconds(30))
        }
        try input.fileHandleForWriting.close()
        let answered = String(decoding: status.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        upload.waitUntilExit()
        #expect(upload.terminationStatus == 0 && answered == "200", "curl exit \(upload.terminationStatus), HTTP \(answered)")

        let ended = node.waitForExit()
        stopped = true
        #expect(ended.reason == .exit && ended.status == 0, "\(node.stderr)")

        // The file is whole: it opens with the keyring, to exactly what was sent.
        let directory = try NodeDataDirectory.open(arbor.path("data"))
        let keyring = try #require(
            try await SealedKeyringStore(database: try NodeDatabase(path: directory.databasePath, node: directory.keys)).load("stream"))
        try SecureFile.write(secret: MeshKeyringFile.encode(keyring), to: arbor.path("stream.keyring"))
        let opened = try arbor.run(["decrypt", "--keyring", arbor.path("stream.keyring"), "-o", "opened", "sealed"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: arbor.path("opened"))) == plaintext)

        // The log ends with the head signed at shutdown, over the stream's entry.
        let verified = try arbor.verifyAuditLog()
        #expect(verified.outcome.status == 0, "\(verified.outcome.stderr)")
        #expect(verified.report["unsignedEntries"] as? Int == 0, "\(verified.report)")
        let last = try String(contentsOfFile: arbor.path("data/audit.log"), encoding: .utf8).split(separator: "\n").last ?? ""
        guard case .head(let head) = try AuditRecord(line: last) else {
            Issue.record("the audit log does not end with a head: \(last)")
            return
        }
        #expect(Int(head.sequence) == verified.report["lastSequence"] as? Int ?? 0)
        #expect(node.stderr.contains("\"reason\":\"shutdown\""), "the node logs the head it signed at shutdown")
    }
}
