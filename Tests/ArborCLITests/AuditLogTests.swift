import ArborCore
import ArborKeyStore
import Foundation
import Testing

/// The audit log file: group commit under concurrent appends, refusal to append to a tampered log,
/// a torn last line dropped on reopening, and `arbor audit verify` on the result.
@Suite("audit log file and arbor audit verify", .serialized)
struct AuditLogTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// A node eu/node-7 with its chain, made by the CLI; its keys, read back.
    func node() throws -> NodeKeySet {
        try arbor.initRoot()
        try arbor.run(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"])
        try arbor.run(["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"])
        let text = try Data(contentsOf: URL(fileURLWithPath: arbor.path("node.key")))
        return try NodeKeyFile.decode(SecretBytes(copying: text)).keySet()
    }

    func verify(_ extra: [String] = []) throws -> ArborExecutable.Outcome {
        try arbor.run(["audit", "verify", "audit.log", "--chain", "node.chain", "--anchor", "root.cert"] + extra)
    }

    @Test("400 concurrent appends: one contiguous chain, every append durable when it returns, and the CLI verifies it")
    func concurrentAppends() async throws {
        defer { arbor.remove() }
        let keys = try node()
        let log = try AuditLogFile(path: arbor.path("audit.log"), signer: keys)
        try await withThrowingTaskGroup(of: AuditEntry.self) { group in
            for index in 0..<400 {
                group.addTask {
                    try await log.append(
                        time: 1_800_000_000_000 + Int64(index), requestID: "r\(index)", accessor: "a", operation: "encrypt", keyring: "k",
                        result: "ok", client: "127.0.0.1")
                }
            }
            var sequences: [UInt64] = []
            for try await entry in group { sequences.append(entry.sequence) }
            #expect(sequences.sorted() == Array(1...400))
        }
        let head = try #require(try await log.signHead(time: 1_800_000_001_000))
        #expect(head.sequence == 400)
        // Everything acknowledged is on disk: 400 entries and a head, each a whole line.
        let lines = try String(contentsOfFile: arbor.path("audit.log"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 401)
        #expect(
            (try FileManager.default.attributesOfItem(atPath: arbor.path("audit.log"))[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let verified = try verify(["--json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        let report = try #require(try arbor.json(verified) as? [String: Any])
        #expect(report["entries"] as? Int == 400 && report["heads"] as? Int == 1 && report["unsignedEntries"] as? Int == 0)
        #expect(report["cluster"] as? String != nil)

        // Reopened, the log continues the same chain.
        let reopened = try AuditLogFile(path: arbor.path("audit.log"), signer: keys)
        #expect(
            try await reopened.append(time: 1, requestID: "after", accessor: "a", operation: "decrypt", result: "ok", client: "x").sequence
                == 401)
        let tail = try verify()
        #expect(tail.status == 0, "\(tail.stderr)")
        #expect(tail.stdout.contains("1 entry after the last signed head"))
    }

    @Test("a log edited while the node was stopped: the node refuses to append, the CLI refuses it (exit 3)")
    func tamperedWhileStopped() async throws {
        defer { arbor.remove() }
        let keys = try node()
        let log = try AuditLogFile(path: arbor.path("audit.log"), signer: keys)
        for index in 0..<5 {
            try await log.append(time: Int64(index), requestID: "r\(index)", accessor: "a", operation: "decrypt", result: "ok", client: "c")
        }
        try await log.signHead(time: 10)
        try arbor.run(["audit", "verify", "audit.log", "--chain", "node.chain", "--anchor", "root.cert"])
        var text = try String(contentsOfFile: arbor.path("audit.log"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"request_id\":\"r2\"", with: "\"request_id\":\"r9\"")
        try text.write(toFile: arbor.path("audit.log"), atomically: true, encoding: .utf8)
        #expect(throws: ArborError(.authenticationFailed, "")) { try AuditLogFile(path: arbor.path("audit.log"), signer: keys) }
        let refused = try verify()
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("line 3: entry 3 does not hash to its recorded hash"), "\(refused.stderr)")
    }

    @Test("truncation back past a kept head is caught with --head; a torn last line is dropped on reopening")
    func truncationAndTornLine() async throws {
        defer { arbor.remove() }
        let keys = try node()
        let log = try AuditLogFile(path: arbor.path("audit.log"), signer: keys)
        for index in 0..<3 {
            try await log.append(time: Int64(index), requestID: "r\(index)", accessor: "a", operation: "x", result: "ok", client: "c")
        }
        try await log.signHead(time: 3)
        let firstPart = try String(contentsOfFile: arbor.path("audit.log"), encoding: .utf8)
        for index in 3..<6 {
            try await log.append(time: Int64(index), requestID: "r\(index)", accessor: "a", operation: "x", result: "ok", client: "c")
        }
        let kept = try #require(try await log.signHead(time: 6))
        try AuditRecord.head(kept).line.write(toFile: arbor.path("kept-head.json"), atomically: true, encoding: .utf8)
        #expect(try verify(["--head", "kept-head.json"]).status == 0)
        // Cut back to the first signed head: consistent on its own, caught against the kept head.
        try firstPart.write(toFile: arbor.path("audit.log"), atomically: true, encoding: .utf8)
        #expect(try verify().status == 0)
        let cut = try verify(["--head", "kept-head.json"])
        #expect(cut.status == 3)
        #expect(cut.stderr.contains("it was truncated"), "\(cut.stderr)")
        // A crash mid-line: the verifier names it; the node drops it on reopening and goes on.
        try (firstPart + "{\"accessor\":\"a\",\"cli").write(toFile: arbor.path("audit.log"), atomically: true, encoding: .utf8)
        let torn = try verify()
        #expect(torn.status == 5, "\(torn.stderr)")
        #expect(torn.stderr.contains("cut short"), "\(torn.stderr)")
        let reopened = try AuditLogFile(path: arbor.path("audit.log"), signer: keys)
        #expect(try await reopened.append(time: 9, requestID: "r9", accessor: "a", operation: "x", result: "ok", client: "c").sequence == 4)
        #expect(try verify().status == 0)
    }

    @Test("a head from another node, or an entry given as --head, is refused")
    func wrongHeads() async throws {
        defer { arbor.remove() }
        let keys = try node()
        let log = try AuditLogFile(path: arbor.path("audit.log"), signer: keys)
        let entry = try await log.append(time: 1, requestID: "r", accessor: "a", operation: "x", result: "ok", client: "c")
        try await log.signHead(time: 2)
        try AuditRecord.entry(entry).line.write(toFile: arbor.path("entry.json"), atomically: true, encoding: .utf8)
        let notHead = try verify(["--head", "entry.json"])
        #expect(notHead.status == 2, "\(notHead.stderr)")
        let stranger = try RootKey.generate().node.descendant(TreePath(parsing: "eu/node-7")).keySet()
        try AuditRecord.head(try AuditHead(signing: entry, time: 3, with: stranger)).line.write(
            toFile: arbor.path("stranger.json"), atomically: true, encoding: .utf8)
        let forged = try verify(["--head", "stranger.json"])
        #expect(forged.status == 3)
        #expect(forged.stderr.contains("not signed by the node's key"), "\(forged.stderr)")
    }

    @Test("a file with an endless line is refused without being buffered whole")
    func endlessLine() throws {
        defer { arbor.remove() }
        let keys = try node()
        try Data(repeating: UInt8(ascii: "x"), count: 3 << 20).write(to: URL(fileURLWithPath: arbor.path("audit.log")))
        let refused = try verify()
        #expect(refused.status == 5, "\(refused.stderr)")
        #expect(refused.stderr.contains("longer than"), "\(refused.stderr)")
        #expect(throws: ArborError(.corruptFile, "")) { try AuditLogFile(path: arbor.path("audit.log"), signer: keys) }
    }
}
