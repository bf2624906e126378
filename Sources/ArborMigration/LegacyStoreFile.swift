import ArborCore
import Foundation

/// Opens a legacy store from a file by what it holds (docs/e2ee.md §15): a SQLite database (its
/// 16-byte header) or a JSON export (an object); the extension decides only for a file that is
/// neither, so the error names what was expected.
public enum LegacyStoreFile {
    static let sqliteHeader = Array("SQLite format 3".utf8) + [0]

    public static func open(_ path: String) throws -> any LegacyStore {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ArborError(.fileNotFound, "cannot read the legacy store \(path)")
        }
        let start = Array((try? handle.read(upToCount: 4096)) ?? Data())
        try? handle.close()
        if start.starts(with: sqliteHeader) { return try SQLiteLegacyStore(path: path) }
        if start.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{") {
            return try JSONLegacyExport(path: path)
        }
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "json": return try JSONLegacyExport(path: path)
        default:
            throw ArborError(
                .malformedInput,
                "\(path) is neither a legacy chat database (SQLite) nor a JSON export of one (docs/e2ee.md §15)")
        }
    }
}

extension MigrationStateFile {
    /// The state file of migrating `source`, beside it: `<source>.arbor-migration.json`.
    public init(beside source: String) { self.init(path: source + ".arbor-migration.json") }
}
