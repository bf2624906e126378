import ArborCore
import ArborMigration
import Foundation
import Testing

/// Opening a legacy store from a file by what it holds (docs/e2ee.md §15): SQLite by its header,
/// a JSON export by its opening brace, whatever the extension; anything else a clear error, and a
/// missing file is not created.
@Suite("Legacy store files")
struct LegacyStoreFileTests {
    @Test func itTellsSQLiteFromJSONByContent() throws {
        let legacy = try PlaintextMigrationTests.Legacy()
        let renamed = legacy.directory + "/legacy.backup"
        try FileManager.default.copyItem(atPath: legacy.path, toPath: renamed)
        #expect(try LegacyStoreFile.open(renamed) is SQLiteLegacyStore)
        #expect(try LegacyStoreFile.open(renamed).conversations(of: "alice").count == 2)
        let export = legacy.directory + "/export.txt"
        try Data(#"  {"conversations": []}"#.utf8).write(to: URL(fileURLWithPath: export))
        #expect(try LegacyStoreFile.open(export) is JSONLegacyExport)
        #expect(MigrationStateFile(beside: export).path == export + ".arbor-migration.json")
    }

    @Test func anythingElseIsAClearError() throws {
        let legacy = try PlaintextMigrationTests.Legacy()
        let junk = legacy.directory + "/notes.db"
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: junk))
        #expect(throws: ArborError(.malformedInput, "")) { try LegacyStoreFile.open(junk) }
        let badJSON = legacy.directory + "/export.json"
        try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: badJSON))
        #expect(throws: ArborError(.malformedInput, "")) { try LegacyStoreFile.open(badJSON) }
        let missing = legacy.directory + "/missing.sqlite"
        #expect(throws: ArborError(.fileNotFound, "")) { try LegacyStoreFile.open(missing) }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
