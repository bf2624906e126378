import ArborKeyStore
import ArborOperations
import Foundation
import GRDB
import Testing

@testable import ArborCore
@testable import ArborServer

/// Moving a node to a new key in its data directory (docs/server.md, "Replacing the node key"):
/// every sealed value re-sealed, the database bound to the new key, the key files replaced, and a
/// crash at each step ending on the new key with the data readable.
@Suite("Node key replacement")
struct NodeKeyReplacementTests {
    static let validity = try! KeyCertificate.Validity(notBefore: 1_700_000_000, notAfter: 2_000_000_000)

    /// A data directory on `eu/node-7` under a fresh root, with a keyring and two prekeys sealed
    /// under its key, and the root as issuer of the node's next keys.
    struct Fixture {
        let issuer: Issuer
        let directory: NodeDataDirectory
        let keyring: MeshKeyring
        let prekeys: [PrekeySecret]

        init() async throws {
            let root = RootKey.generate()
            issuer = try Issuer(
                root: root, rootCertificate: try KeyCertificate.root(root.node.keySet(), validity: NodeKeyReplacementTests.validity))
            let node = try issuer.certify(try TreePath(parsing: "eu/node-7"), usage: .all, validity: NodeKeyReplacementTests.validity)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-reseal-test-\(UUID().uuidString)").path
            directory = try NodeDataDirectory.initialize(at: path, secret: node.secret, chain: node.chain)
            let database = try NodeDatabase(path: directory.databasePath, node: directory.keys)
            var keyring = try MeshKeyring.create(name: "payments", owner: directory.secret)
            try keyring.rotate(owner: directory.secret)
            try await SealedKeyringStore(database: database).save(keyring)
            self.keyring = keyring
            prekeys = try DatabaseNodeMessageStore(database: database).addPrekeys { first in
                try (0..<2).map { try PrekeySecret.generate(id: first + $0) }
            }
        }

        /// The node's next branch, `eu/node-7#1`.
        func nextKey() throws -> (secret: NodeSecret, chain: CertificateChain) {
            try issuer.rekeyToNewBranch(directory.secret.path, usage: .all, validity: NodeKeyReplacementTests.validity)
        }

        func file(_ name: String) -> String { directory.path + "/" + name }

        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

        /// The keyring and the first prekey read back under `keys`.
        func expectReadable(under keys: NodeKeySet) async throws {
            let database = try NodeDatabase(path: directory.databasePath, node: keys)
            let loaded = try #require(try await SealedKeyringStore(database: database).load("payments"))
            #expect(loaded.seeds == keyring.seeds)
            let store = DatabaseNodeMessageStore(database: database)
            try store.consume(
                messageID: Array(repeating: 5, count: 16), prekeyID: prekeys[0].id, keepUntil: 2_000_000_000, now: 1_800_000_000
            ) {
                #expect($0?.prekey == prekeys[0].prekey)
            }
        }

        /// Every sealed value in the database, in a fixed order.
        func sealedValues() throws -> [Data] {
            try DatabaseQueue(path: directory.databasePath).read { db in
                try Data.fetchAll(
                    db,
                    sql: "SELECT sealed FROM (SELECT name AS k, sealed FROM keyrings UNION ALL SELECT id, sealed FROM prekeys) ORDER BY k")
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory.path) }
    }

    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("keyrings and prekeys sealed under the old key read back under the new one; the old key is refused and gone")
    func replacement() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let old = fixture.directory
        let next = try fixture.nextKey()
        let nextKeys = try next.secret.keySet()

        try old.stageReplacement(secret: next.secret, chain: next.chain)
        #expect(old.hasStagedReplacement)
        #expect(try mode(fixture.file(NodeDataDirectory.stagedKeyFile)) == 0o600)
        // Until completed, the database is still on the old key.
        #expect(try NodeDatabase.boundKeyID(path: old.databasePath) == old.keys.keyID.description)

        let moved = try old.completeReplacement()
        #expect(moved.keys.keyID == nextKeys.keyID)
        #expect(moved.chain == next.chain)
        #expect(!fixture.exists(NodeDataDirectory.stagedKeyFile) && !fixture.exists(NodeDataDirectory.stagedChainFile))
        #expect(try mode(fixture.file(NodeDataDirectory.keyFile)) == 0o600)
        #expect(try mode(fixture.file(NodeDataDirectory.chainFile)) == 0o644)
        #expect(try NodeDatabase.boundKeyID(path: old.databasePath) == nextKeys.keyID.description)

        // The key file now holds the new key only: no byte of the old key file is left in the directory.
        let reopened = try NodeDataDirectory.open(old.path)
        #expect(reopened.keys.keyID == nextKeys.keyID)
        #expect(reopened.secret.path.description == "eu/node-7#1")

        try await fixture.expectReadable(under: nextKeys)
        #expect(throws: ArborError(.wrongKeyring, "")) { try NodeDatabase(path: old.databasePath, node: old.keys) }
    }

    @Test("running the move twice changes nothing")
    func idempotent() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let old = fixture.directory
        let next = try fixture.nextKey()
        let nextKeys = try next.secret.keySet()

        let first = try NodeDatabase.reseal(path: old.databasePath, from: old.keys, to: nextKeys)
        #expect(first == NodeDatabase.Reseal(resealedValues: 3, wasAlreadyBound: false), "one keyring and two prekeys")
        // A re-sealing draws fresh nonces: unchanged sealed values mean none was re-sealed.
        let sealedAfterFirst = try fixture.sealedValues()
        let second = try NodeDatabase.reseal(path: old.databasePath, from: old.keys, to: nextKeys)
        #expect(second == NodeDatabase.Reseal(resealedValues: 0, wasAlreadyBound: true))
        #expect(try fixture.sealedValues() == sealedAfterFirst)

        try old.stageReplacement(secret: next.secret, chain: next.chain)
        try old.stageReplacement(secret: next.secret, chain: next.chain)
        let moved = try old.completeReplacement()
        let key = try SecureFile.readBytes(fixture.file(NodeDataDirectory.keyFile))
        let again = try old.completeReplacement()
        #expect(again.keys.keyID == moved.keys.keyID)
        #expect(try SecureFile.readBytes(fixture.file(NodeDataDirectory.keyFile)) == key)
        #expect(try NodeDataDirectory.open(old.path).keys.keyID == nextKeys.keyID)
        try await fixture.expectReadable(under: nextKeys)
        // With the new key in place and nothing staged, there is nothing to complete from it.
        #expect(throws: ArborError(.fileNotFound, "")) { try moved.completeReplacement() }
    }

    /// Where a process stops (SIGKILL, a power cut) during the steps of a replacement.
    enum CrashPoint: String, CaseIterable, CustomTestStringConvertible {
        case afterStaging, afterDatabase, afterWipingTheOldKey, betweenRenames
        var testDescription: String { rawValue }
    }

    @Test("a crash at each step ends, at the next open, on the new key with the data readable", arguments: CrashPoint.allCases)
    func crash(at point: CrashPoint) async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let old = fixture.directory
        let next = try fixture.nextKey()
        let nextKeys = try next.secret.keySet()

        // The steps of `completeReplacement`, run by hand up to the crash point.
        try old.stageReplacement(secret: next.secret, chain: next.chain)
        if point != .afterStaging {
            _ = try NodeDatabase.reseal(path: old.databasePath, from: old.keys, to: nextKeys)
        }
        if point == .afterWipingTheOldKey || point == .betweenRenames {
            try SecureFile.overwriteWithZeros(fixture.file(NodeDataDirectory.keyFile))
        }
        if point == .betweenRenames {
            try SecureFile.move(fixture.file(NodeDataDirectory.stagedChainFile), over: fixture.file(NodeDataDirectory.chainFile))
        }

        let opened = try NodeDataDirectory.open(old.path)
        #expect(opened.keys.keyID == nextKeys.keyID)
        #expect(opened.chain == next.chain)
        #expect(!fixture.exists(NodeDataDirectory.stagedKeyFile) && !fixture.exists(NodeDataDirectory.stagedChainFile))
        #expect(try mode(fixture.file(NodeDataDirectory.keyFile)) == 0o600)
        #expect(try NodeDataDirectory.open(old.path).keys.keyID == nextKeys.keyID)
        try await fixture.expectReadable(under: nextKeys)
    }

    @Test("a staging cut short before its key was written leaves the node on its old key")
    func stagingCutShort() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let next = try fixture.nextKey()
        try SecureFile.write(next.chain.armored, to: fixture.file(NodeDataDirectory.stagedChainFile), mode: .public)

        let opened = try NodeDataDirectory.open(fixture.directory.path)
        #expect(opened.keys.keyID == fixture.directory.keys.keyID)
        #expect(!fixture.exists(NodeDataDirectory.stagedChainFile))
        try await fixture.expectReadable(under: fixture.directory.keys)
    }

    @Test("a database bound to a third key is refused with what to do, and nothing changes")
    func thirdKey() async throws {
        let fixture = try await Fixture()
        let stranger = try await Fixture()
        defer {
            fixture.remove()
            stranger.remove()
        }
        // The stranger's database, in this node's directory.
        for suffix in ["", "-wal", "-shm"] {
            let target = fixture.directory.databasePath + suffix
            try? FileManager.default.removeItem(atPath: target)
            if FileManager.default.fileExists(atPath: stranger.directory.databasePath + suffix) {
                try FileManager.default.copyItem(atPath: stranger.directory.databasePath + suffix, toPath: target)
            }
        }
        let old = fixture.directory
        let next = try fixture.nextKey()
        let nextKeys = try next.secret.keySet()
        let error = #expect(throws: ArborError(.wrongKeyring, "")) {
            try NodeDatabase.reseal(path: old.databasePath, from: old.keys, to: nextKeys)
        }
        #expect(error?.message.contains("belongs to another node") == true)
        #expect(error?.message.contains(stranger.directory.keys.keyID.description) == true)

        try old.stageReplacement(secret: next.secret, chain: next.chain)
        let key = try SecureFile.readBytes(fixture.file(NodeDataDirectory.keyFile))
        let chain = try SecureFile.readBytes(fixture.file(NodeDataDirectory.chainFile))
        #expect(throws: ArborError(.wrongKeyring, "")) { try old.completeReplacement() }
        #expect(throws: ArborError(.wrongKeyring, "")) { try NodeDataDirectory.open(old.path) }
        // Nothing moved: the old files, the staged files, the stranger's database on the stranger's key.
        #expect(try SecureFile.readBytes(fixture.file(NodeDataDirectory.keyFile)) == key)
        #expect(try SecureFile.readBytes(fixture.file(NodeDataDirectory.chainFile)) == chain)
        #expect(old.hasStagedReplacement)
        #expect(try NodeDatabase.boundKeyID(path: old.databasePath) == stranger.directory.keys.keyID.description)
        let database = try NodeDatabase(path: old.databasePath, node: stranger.directory.keys)
        #expect(try await SealedKeyringStore(database: database).load("payments")?.seeds == stranger.keyring.seeds)
    }

    @Test("staging refuses the current key, a chain of another key, and a second new key while one is staged")
    func stagingRefusals() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let old = fixture.directory
        let next = try fixture.nextKey()
        #expect(throws: ArborError(.invalidArgument, "")) { try old.stageReplacement(secret: old.secret, chain: old.chain) }
        #expect(throws: ArborError(.invalidArgument, "")) { try old.stageReplacement(secret: next.secret, chain: old.chain) }
        #expect(!old.hasStagedReplacement)

        try old.stageReplacement(secret: next.secret, chain: next.chain)
        let other = try fixture.issuer.certify(try TreePath(parsing: "eu/node-7"), epoch: 1, usage: .all, validity: Self.validity)
        #expect(throws: ArborError(.conflict, "")) { try old.stageReplacement(secret: other.secret, chain: other.chain) }
        #expect(try old.completeReplacement().keys.keyID == next.secret.keySet().keyID)
    }

    @Test("the audit log signed by the old key is set aside with its chain and still verifies; the new key starts a new log")
    func auditLog() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let old = fixture.directory
        do {
            let log = try AuditLogFile(path: old.auditLogPath, signer: old.keys)
            for number in 1...3 {
                try await log.append(
                    time: 1_800_000_000_000, requestID: "request-\(number)", accessor: "", operation: "encrypt", result: "ok",
                    client: "test")
            }
            try await log.signHead(time: 1_800_000_000_001)
        }
        let lines = try String(contentsOfFile: old.auditLogPath, encoding: .utf8).split(separator: "\n")
        let next = try fixture.nextKey()
        let nextKeys = try next.secret.keySet()
        // What breaks without the archive: the old key's heads do not verify under the new key,
        // and a node opening its log verifies the whole of it.
        #expect(throws: ArborError(.authenticationFailed, "")) { try AuditChainVerifier(signer: nextKeys.publicKeys).verify(lines: lines) }

        try old.stageReplacement(secret: next.secret, chain: next.chain)
        let moved = try old.completeReplacement()
        #expect(!FileManager.default.fileExists(atPath: moved.auditLogPath))
        let archived = try String(contentsOfFile: moved.archivedAuditLogPath(of: old.keys.keyID), encoding: .utf8).split(separator: "\n")
        #expect(archived == lines)
        let archivedChain = try CertificateChain(armored: try SecureFile.read(moved.archivedAuditChainPath(of: old.keys.keyID)))
        #expect(archivedChain == old.chain)
        let report = try AuditChainVerifier(signer: archivedChain.leaf.publicKeys).verify(lines: archived)
        #expect(report.entries == 3 && report.heads == 1 && report.unsignedEntries == 0)

        let log = try AuditLogFile(path: moved.auditLogPath, signer: moved.keys)
        try await log.append(time: 1_800_000_001_000, requestID: "after", accessor: "", operation: "encrypt", result: "ok", client: "test")
        try await log.signHead(time: 1_800_000_001_001)
        let fresh = try String(contentsOfFile: moved.auditLogPath, encoding: .utf8).split(separator: "\n")
        #expect(try AuditChainVerifier(signer: nextKeys.publicKeys).verify(lines: fresh).heads == 1)
    }

    @Test("every BLOB column of the schema is either re-sealed on a key change or holds no secret")
    func everySealedColumnIsResealed() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        // Columns of public or one-way values: hashes, the replay guard's ids, signed public records.
        let notSealed: Set<String> = [
            "tokens.lookup", "tokens.hash", "state.value", "cluster_state.ledger", "opened_messages.id",
        ]
        let sealed = Set(NodeDatabase.sealedColumns.map { "\($0.table).\($0.sealed)" })
        let pool = try DatabaseQueue(path: fixture.directory.databasePath)
        let blobs = try await pool.read { db in
            var found: Set<String> = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                for column in try db.columns(in: table) where column.type.uppercased() == "BLOB" {
                    found.insert("\(table).\(column.name)")
                }
            }
            return found
        }
        #expect(blobs.contains("keyrings.sealed"), "the scan must see the sealed columns")
        #expect(blobs.subtracting(notSealed) == sealed, "a new BLOB column: add it to NodeDatabase.sealedColumns if it holds sealer output")
    }
}
