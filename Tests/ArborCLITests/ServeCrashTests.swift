import ArborKeyStore
import ArborServer
import ArborTestSupport
import Crypto
import Foundation
import GRDB
import Testing

@testable import ArborCore

#if canImport(Glibc)
    import Glibc
#endif

/// The real node under `kill -9`: acknowledged work survives it, the database stays consistent,
/// the audit log holds every acknowledged request and verifies; and nothing the test sent or the
/// node derived in secret is left in clear in the data directory or the logs.
@Suite("arbor serve crash", .serialized)
struct ServeCrashTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    static let keyrings = ["alpha", "beta", "gamma"]

    /// What the node acknowledged (answered 2xx) before it was killed.
    actor Ledger {
        struct Batch {
            let keyring: String
            let plaintexts: [String]
            let ciphertexts: [String]
        }

        private(set) var killed = false
        private(set) var rotations: [String: [Int]] = [:]
        private(set) var batches: [Batch] = []
        private(set) var tokens: [String] = []
        private(set) var createdKeyrings: [String] = []
        private(set) var requestIDs: [String] = []
        /// Plaintexts sent, acknowledged or not: none may be left in clear anywhere.
        private(set) var sentPlaintexts: [String] = []
        private(set) var failures: [String] = []

        /// Enough was acknowledged of each kind for the kill to be worth checking.
        var isEnough: Bool {
            rotations.values.map(\.count).reduce(0, +) >= 60 && batches.count >= 6 && !tokens.isEmpty && !createdKeyrings.isEmpty
        }

        func markKilled() { killed = true }
        func sent(_ plaintexts: [String]) { sentPlaintexts += plaintexts }
        func acknowledged(_ reply: NodeProcess.Reply) {
            if let id = reply.requestID { requestIDs.append(id) } else { failures.append("an answer without X-Request-Id") }
        }
        func rotated(_ name: String, epoch: Int) { rotations[name, default: []].append(epoch) }
        func sealed(_ batch: Batch) { batches.append(batch) }
        func created(token: String) { tokens.append(token) }
        func created(keyring: String) { createdKeyrings.append(keyring) }
        /// A failure is a fault unless the node was being killed.
        func failed(_ what: String) { if !killed { failures.append(what) } }
    }

    static func randomPlaintext() -> String {
        "crash-plaintext-" + (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// Rotates the test's keyrings in turn until the node is killed.
    static func rotate(_ node: NodeProcess, token: String, start: Int, ledger: Ledger) async {
        var index = start
        while await !ledger.killed {
            let name = keyrings[index % keyrings.count]
            index += 1
            do {
                let reply = try await node.post("/v1/keyrings/\(name)/rotate", token: token)
                guard reply.status == 200, let epoch = reply.body["active_epoch"] as? Int else {
                    await ledger.failed("rotate \(name): \(reply.status) \(reply.body)")
                    return
                }
                await ledger.acknowledged(reply)
                await ledger.rotated(name, epoch: epoch)
            } catch {
                await ledger.failed("rotate \(name): \(error)")
                return
            }
        }
    }

    /// Batch encryptions of 100 fresh plaintexts, with a token and a keyring created now and then.
    static func write(_ node: NodeProcess, token: String, worker: Int, ledger: Ledger) async {
        var round = 0
        while await !ledger.killed {
            round += 1
            do {
                switch round % 4 {
                case 1:
                    let reply = try await node.post(
                        "/v1/auth/token/create", token: token,
                        json: ["policies": [["operations": ["encrypt", "decrypt"], "keyrings": ["*"]]], "display_name": "crash \(round)"])
                    guard reply.status == 201, let created = reply.body["token"] as? String else {
                        return await ledger.failed("token create: \(reply.status) \(reply.body)")
                    }
                    await ledger.acknowledged(reply)
                    await ledger.created(token: created)
                case 2:
                    let name = "made-\(worker)-\(round)"
                    let reply = try await node.post("/v1/keyrings", token: token, json: ["name": name])
                    guard reply.status == 201 else { return await ledger.failed("keyring create: \(reply.status) \(reply.body)") }
                    await ledger.acknowledged(reply)
                    await ledger.created(keyring: name)
                default:
                    let name = keyrings[(worker + round) % keyrings.count]
                    let plaintexts = (0..<100).map { _ in randomPlaintext() }
                    await ledger.sent(plaintexts)
                    let reply = try await node.post(
                        "/v1/keyrings/\(name)/encrypt", token: token,
                        json: ["batch_input": plaintexts.map { ["plaintext": base64($0)] }])
                    let results = reply.body["batch_results"] as? [[String: Any]] ?? []
                    let ciphertexts = results.compactMap { $0["ciphertext"] as? String }
                    guard reply.status == 200, ciphertexts.count == plaintexts.count else {
                        return await ledger.failed("batch encrypt: \(reply.status), \(ciphertexts.count) ciphertexts")
                    }
                    await ledger.acknowledged(reply)
                    await ledger.sealed(Ledger.Batch(keyring: name, plaintexts: plaintexts, ciphertexts: ciphertexts))
                }
            } catch {
                return await ledger.failed("write round \(round): \(error)")
            }
        }
    }

    @Test("kill -9 amid rotations and batches: nothing acknowledged lost, database and audit log check out, no secret in clear")
    func killDuringWrites() async throws {
        defer { arbor.remove() }
        let root = try arbor.initializeNodeData()
        let serve = ["serve", "--data", "data", "--listen", "127.0.0.1:0"]
        let first = try NodeProcess(arbor, serve, logs: "first")
        for name in Self.keyrings {
            let created = try await first.post("/v1/keyrings", token: root, json: ["name": name])
            try #require(created.status == 201, "\(created.body)")
        }

        let ledger = Ledger()
        async let workers: Void = withTaskGroup(of: Void.self) { group in
            for worker in 0..<3 { group.addTask { await Self.rotate(first, token: root, start: worker, ledger: ledger) } }
            for worker in 0..<2 { group.addTask { await Self.write(first, token: root, worker: worker, ledger: ledger) } }
        }
        // Kill it once enough has been acknowledged, while the workers keep sending.
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline, await ledger.failures.isEmpty, await !ledger.isEnough {
            try await Task.sleep(for: .milliseconds(20))
        }
        await ledger.markKilled()
        first.signal(SIGKILL)
        await workers
        let killed = first.waitForExit()
        #expect(killed.reason == .uncaughtSignal && killed.status == SIGKILL)

        let failures = await ledger.failures
        #expect(failures.isEmpty, "\(failures)")
        let rotations = await ledger.rotations
        let batches = await ledger.batches
        let tokens = await ledger.tokens
        let createdKeyrings = await ledger.createdKeyrings
        try #require(!rotations.isEmpty && !batches.isEmpty && !tokens.isEmpty && !createdKeyrings.isEmpty, "nothing acknowledged")
        for (name, epochs) in rotations {
            #expect(Set(epochs).count == epochs.count, "two acknowledged rotations of \(name) answered the same epoch: \(epochs.sorted())")
        }

        // The files as the crash left them (the WAL still holds the last writes), scanned at the end.
        let crashedFiles = try Self.dataFiles(in: arbor.path("data")).map { path in
            let copy = arbor.path("crashed-" + URL(fileURLWithPath: path).lastPathComponent)
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            return copy
        }
        #expect(crashedFiles.count >= 3, "the crash left a database with its WAL, and the audit log: \(crashedFiles)")

        // The database as the crash left it, read-only: consistent, every acknowledged rotation in.
        let stored = try Self.checkDatabase(arbor.path("data/" + NodeDatabase.fileName))
        for (name, epochs) in rotations { #expect(stored[name] ?? 0 >= epochs.max()!, "keyring \(name): \(stored[name] ?? 0)") }
        for name in createdKeyrings { #expect(stored[name] != nil, "acknowledged keyring \(name) is missing") }

        // The log as the crash left it: it verifies, or (a write cut by the kill) says its last line
        // is torn; never an entry that fails its chain.
        let crashed = try arbor.verifyAuditLog()
        #expect(
            crashed.outcome.status == 0 || crashed.outcome.stderr.contains("last line has no newline"),
            "\(crashed.outcome.stderr)")

        // Restarted on the same directory: everything acknowledged is there and works.
        let second = try NodeProcess(arbor, serve, logs: "second")
        for (name, epochs) in rotations {
            let keyring = try await second.get("/v1/keyrings/\(name)", token: root)
            #expect(keyring.body["active_epoch"] as? Int ?? 0 >= epochs.max()!, "keyring \(name): \(keyring.body)")
        }
        for name in createdKeyrings { #expect(try await second.get("/v1/keyrings/\(name)", token: root).status == 200) }
        for token in tokens { #expect(try await second.get("/v1/auth/token/lookup-self", token: token).status == 200) }
        for batch in batches {
            let opened = try await second.post(
                "/v1/keyrings/\(batch.keyring)/decrypt", token: root, json: ["batch_input": batch.ciphertexts.map { ["ciphertext": $0] }])
            let plaintexts = (opened.body["batch_results"] as? [[String: Any]] ?? []).map { $0["plaintext"] as? String }
            #expect(opened.status == 200 && plaintexts == batch.plaintexts.map(Self.base64), "\(batch.keyring): \(opened.status)")
        }
        second.signal(SIGTERM)
        let stopped = second.waitForExit()
        #expect(stopped.reason == .exit && stopped.status == 0, "\(second.stderr)")

        // Every acknowledged request has its entry, and the whole log verifies with a final head.
        let verified = try arbor.verifyAuditLog()
        #expect(verified.outcome.status == 0, "\(verified.outcome.stderr)")
        #expect(verified.report["unsignedEntries"] as? Int == 0, "\(verified.report)")
        var logged = Set<String>()
        try AuditLogLines.forEach(in: arbor.path("data/audit.log")) { line in
            if case .entry(let entry) = try AuditRecord(line: line) { logged.insert(entry.requestID) }
        }
        let acknowledged = await ledger.requestIDs
        let missing = acknowledged.filter { !logged.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged requests have no audit entry")

        let logs = [first, second].flatMap { [$0.stdoutPath, $0.stderrPath] }
        try await scanForSecrets(root: root, ledger: ledger, in: crashedFiles + Self.dataFiles(in: arbor.path("data")) + logs)
    }

    /// `PRAGMA integrity_check` on a read-only connection, and each keyring's active epoch.
    static func checkDatabase(_ path: String) throws -> [String: Int] {
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: path, configuration: configuration)
        return try database.read { db in
            #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
            var epochs: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, active_epoch FROM keyrings") {
                epochs[row["name"]] = row["active_epoch"]
            }
            return epochs
        }
    }

    /// Neither the data directory (database, its WAL and shared memory, the audit log) nor what the
    /// node printed holds a plaintext the test sent, a token, an epoch seed or the node's secrets.
    func scanForSecrets(root: String, ledger: Ledger, in files: [String]) async throws {
        // Read before this process opens the database (which checkpoints its WAL).
        let contents = try files.map { ($0, Array(try Data(contentsOf: URL(fileURLWithPath: $0)))) }
        var scanner = LeakScanner()
        for (index, plaintext) in await ledger.sentPlaintexts.enumerated() {
            scanner.add("plaintext \(index)", bytes: Array(plaintext.utf8), forms: [.raw, .base64])
        }
        scanner.add("the root token", bytes: Array(root.utf8), forms: [.raw])
        for (index, token) in await ledger.tokens.enumerated() {
            scanner.add("created token \(index)", bytes: Array(token.utf8), forms: [.raw])
        }
        // The seeds as the node derives them from its key, checked against what it stored, so a
        // derivation gone wrong here cannot make the scan pass by looking for the wrong bytes.
        let directory = try NodeDataDirectory.open(arbor.path("data"))
        let store = SealedKeyringStore(database: try NodeDatabase(path: directory.databasePath, node: directory.keys))
        var seeds = 0
        for name in try await store.names() {
            let keyring = try #require(try await store.load(name))
            for epoch in 1...keyring.activeEpoch {
                let seed = MeshKeyring.seed(owner: directory.secret, name: name, epoch: epoch)
                #expect(keyring.seeds[epoch] == seed, "the stored seed of \(name) epoch \(epoch) is not the derived one")
                scanner.add("seed of \(name) epoch \(epoch)", bytes: seed.withUnsafeBytes { Array($0) })
                seeds += 1
            }
        }
        #expect(seeds > Self.keyrings.count, "the rotations left seeds to look for")
        for purpose in [SecretSealer.purpose, "audit-hmac"] {
            scanner.add("storage key \(purpose)", bytes: directory.keys.storageKey(purpose: purpose).withUnsafeBytes { Array($0) })
        }
        scanner.add("the node's branch secret", bytes: directory.secret.branchSecret.withUnsafeBytes { Array($0) })

        // The scanner finds what it is given (so an empty result means something).
        let probe = Array((await ledger.sentPlaintexts.first ?? "").utf8)
        #expect(scanner.scan([0x20] + probe + [0x20], file: "probe").count == 1)

        var findings: [LeakScanner.Finding] = []
        for (file, bytes) in contents { findings += scanner.scan(bytes, file: URL(fileURLWithPath: file).lastPathComponent) }
        #expect(findings.isEmpty, "\(findings.count) secrets in clear: \(findings.prefix(20))")
    }

    /// The database, its WAL and shared-memory files when present, and the audit log.
    static func dataFiles(in directory: String) throws -> [String] {
        let files = ["", "-wal", "-shm"].map { directory + "/" + NodeDatabase.fileName + $0 } + [directory + "/audit.log"]
        return files.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
