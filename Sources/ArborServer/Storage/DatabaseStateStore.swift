import ArborOperations
import Foundation
import GRDB

/// One named row of the `state` table as a `StateStore`: read and rewritten in one write
/// transaction, so concurrent requests are serialised and none acts on a stale state. Holds the
/// replay guard's memory of admitted token ids (never a secret).
struct DatabaseStateStore: StateStore, Sendable {
    let database: NodeDatabase
    let name: String

    func update<Result>(_ body: (inout [UInt8]?) throws -> Result) throws -> Result {
        try database.pool.write { db in
            let stored = try Data.fetchOne(db, sql: "SELECT value FROM state WHERE name = ?", arguments: [name]).map { [UInt8]($0) }
            var state = stored
            let result = try body(&state)
            if let state, state != stored {
                try db.execute(
                    sql: "INSERT INTO state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    arguments: [name, Data(state)])
            }
            return result
        }
    }
}
