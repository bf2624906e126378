import ArborCore
import ArborE2EE
import ArborMigration
import Foundation
import GRDB
import Testing

/// Migration of legacy plaintext (issue 12, point 6): batches with progress, pause and resume from
/// the state file, idempotence (a second run, a lost state file, a crash between the node storing
/// a message and the state being saved), verification against the original, confirmation that
/// purges it, and rollback until then.
@Suite("Plaintext migration")
struct PlaintextMigrationTests {
    static let keys: AccountKeys = {
        // One account for the suite: sign-up runs 600,000 PBKDF2 rounds.
        try! AccountKeys.signUp(password: SecretBytes(copying: Array("migration test password".utf8))).keys
    }()

    /// A legacy database: "c1" (alice, bob) with 7 messages, "c2" (alice, carol) with 4, "c3"
    /// (bob, carol) with 2.
    struct Legacy {
        let directory: String
        let path: String
        init() throws {
            directory = NSTemporaryDirectory() + "arbor-migration-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            path = directory + "/legacy.sqlite"
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT);
                        CREATE TABLE participants (conversation_id TEXT, user TEXT);
                        CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT, author TEXT, body TEXT, created_at INTEGER);
                        """)
                for (conversation, people, count) in [
                    ("c1", ["alice", "bob"], 7), ("c2", ["alice", "carol"], 4), ("c3", ["bob", "carol"], 2),
                ] {
                    try db.execute(sql: "INSERT INTO conversations VALUES (?, ?)", arguments: [conversation, "about \(conversation)"])
                    for person in people {
                        try db.execute(sql: "INSERT INTO participants VALUES (?, ?)", arguments: [conversation, person])
                    }
                    for index in 0..<count {
                        try db.execute(
                            sql: "INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                            arguments: [
                                "\(conversation)-m\(index)", conversation, people[index % 2], "secret plaintext \(conversation) \(index)",
                                1_700_000_000 + index,
                            ])
                    }
                }
            }
        }
        var stateFile: MigrationStateFile { MigrationStateFile(path: directory + "/migration.json") }
    }

    func migration(_ legacy: Legacy, _ destination: InMemoryDestination, participant: String? = "alice") throws -> PlaintextMigration {
        PlaintextMigration(
            source: try SQLiteLegacyStore(path: legacy.path), destination: destination, keys: Self.keys, stateFile: legacy.stateFile,
            participant: participant)
    }

    @Test func itMovesEveryMessageInBatchesAndVerifies() async throws {
        let legacy = try Legacy()
        let destination = InMemoryDestination(keys: Self.keys)
        let migration = try migration(legacy, destination)
        var seen: [Int] = []
        let done = try await migration.run(batchSize: 3, progress: { seen.append($0.migrated) })
        #expect(done.migrated == 11 && done.total == 11 && done.written == 11 && done.status == .migrated)
        #expect(seen == [3, 6, 7, 10, 11])
        #expect(await destination.messageCount == 11)
        let verification = try await migration.verify()
        #expect(verification.checked == 11 && verification.isComplete)
        #expect(try migration.state().status == .verified)
        // Only alice's conversations moved.
        #expect(try migration.state().conversations.map(\.legacyID) == ["c1", "c2"])
    }

    @Test func itPausesAndResumesFromItsStateFile() async throws {
        let legacy = try Legacy()
        let destination = InMemoryDestination(keys: Self.keys)
        let batches = Counter()
        let paused = try await migration(legacy, destination).run(batchSize: 2, shouldPause: { batches.next() >= 2 })
        #expect(paused.status == .migrating && paused.migrated == 4)
        #expect(try legacy.stateFile.load()?.migrated == 4)
        // A new run (another process) goes on from there.
        let resumed = try await migration(legacy, destination).run(batchSize: 2)
        #expect(resumed.migrated == 11 && resumed.written == 7 && resumed.status == .migrated)
        #expect(await destination.messageCount == 11)
    }

    @Test func runningTwiceEncryptsNothingTwice() async throws {
        let legacy = try Legacy()
        let destination = InMemoryDestination(keys: Self.keys)
        _ = try await migration(legacy, destination).run(batchSize: 5)
        #expect(try await migration(legacy, destination).run(batchSize: 5).written == 0)
        // Even with the state file lost: the ids come from the master key and the legacy ids.
        try legacy.stateFile.remove()
        let again = try await migration(legacy, destination).run(batchSize: 5)
        #expect(again.written == 0 && again.migrated == 11)
        #expect(await destination.messageCount == 11)
    }

    @Test func aCrashAfterTheNodeStoredAMessageLeavesNoDuplicate() async throws {
        let legacy = try Legacy()
        let destination = InMemoryDestination(keys: Self.keys)
        await destination.setFailAfterStoring(5)
        await #expect(throws: ArborError(.ioFailure, "")) { try await migration(legacy, destination).run(batchSize: 3) }
        await destination.setFailAfterStoring(nil)
        let resumed = try await migration(legacy, destination).run(batchSize: 3)
        #expect(resumed.migrated == 11 && resumed.written == 11 - 5)
        #expect(await destination.messageCount == 11)
        #expect(try await migration(legacy, destination).verify().isComplete)
    }

    @Test func verificationFindsAMissingMessageAndConfirmationWaitsForIt() async throws {
        let legacy = try Legacy()
        let destination = InMemoryDestination(keys: Self.keys)
        let migration = try migration(legacy, destination)
        _ = try await migration.run(batchSize: 4)
        let c1 = try ConversationID(hex: try #require(try migration.state().conversations.first?.conversation))
        await destination.dropMessage(at: 2, of: c1)
        // Reading back reports the gap without refusing; the comparison with the original finds
        // which message is missing.
        let verification = try await migration.verify()
        #expect(verification.mismatched == ["c1-m2"])
        #expect(throws: ArborError(.conflict, "")) { try migration.confirm() }
        #expect(try SQLiteLegacyStore(path: legacy.path).messageCount(in: "c1") == 7)
    }

    @Test func confirmationPurgesTheOriginalAndRollbackUndoesUntilThen() async throws {
        let legacy = try Legacy()
        let destination = InMemoryDestination(keys: Self.keys)
        let migration = try migration(legacy, destination)
        _ = try await migration.run(batchSize: 100)
        // Rollback before confirming: the encrypted copies go, the original stays.
        try await migration.rollback()
        #expect(await destination.messageCount == 0)
        #expect(try legacy.stateFile.load() == nil)
        #expect(try SQLiteLegacyStore(path: legacy.path).messageCount(in: "c1") == 7)

        _ = try await migration.run(batchSize: 100)
        #expect(try await migration.verify().isComplete)
        try migration.confirm()
        let store = try SQLiteLegacyStore(path: legacy.path)
        #expect(try store.messageCount(in: "c1") == 0 && store.messageCount(in: "c2") == 0)
        #expect(try store.messageCount(in: "c3") == 2)  // bob and carol's, not alice's to move
        let file = try Data(contentsOf: URL(fileURLWithPath: legacy.path))
        #expect(file.range(of: Data("secret plaintext c1".utf8)) == nil)
        await #expect(throws: ArborError(.conflict, "")) { try await migration.rollback() }
    }

    @Test func aJSONExportMovesTheSameWay() async throws {
        let legacy = try Legacy()
        let export = legacy.directory + "/export.json"
        let json = """
            {"conversations": [{"id": "j1", "title": "t", "participants": ["alice"], "messages": [
              {"id": "b", "author": "alice", "sent_at": 2, "text": "second"},
              {"id": "a", "author": "alice", "sent_at": 1, "text": "first"}]}]}
            """
        try Data(json.utf8).write(to: URL(fileURLWithPath: export))
        let destination = InMemoryDestination(keys: Self.keys)
        let migration = PlaintextMigration(
            source: try JSONLegacyExport(path: export), destination: destination, keys: Self.keys, stateFile: legacy.stateFile,
            participant: nil)
        #expect(try await migration.run(batchSize: 1).migrated == 2)
        #expect(try await migration.verify().isComplete)
        let stored = try await destination.importedMessages(
            in: try ConversationID(hex: try #require(migration.state().conversations[0].conversation)))
        #expect(Set(stored.values.map(\.text)) == ["first", "second"])
        #expect(throws: ArborError(.malformedInput, "")) { try JSONLegacyExport(path: legacy.path) }
    }
}

/// Counts calls, for a pause after n batches.
final class Counter: @unchecked Sendable {
    private var value = 0
    func next() -> Int {
        defer { value += 1 }
        return value
    }
}
