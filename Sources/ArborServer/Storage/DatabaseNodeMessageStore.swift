import ArborCore
import ArborOperations
import Foundation
import GRDB

/// The node's `NodeMessageStore` in its database: prekey secrets sealed by `SecretSealer` to their
/// row (table `prekeys`), the ids of opened messages until they leave the replay window (table
/// `opened_messages`), and the next prekey id (table `node`). Opening a message is one write
/// transaction: the id check, the secret, the opening, the deletion and the id are committed
/// together, or not at all.
public struct DatabaseNodeMessageStore: NodeMessageStore {
    let database: NodeDatabase

    public init(database: NodeDatabase) { self.database = database }

    private static let nextIDName = "next_prekey_id"

    private func row(_ id: UInt32) -> RowIdentity { RowIdentity(table: "prekeys", key: String(id)) }

    public func addPrekeys(_ make: (UInt32) throws -> [PrekeySecret]) throws -> [PrekeySecret] {
        try database.pool.write { db in
            let next =
                try String.fetchOne(db, sql: "SELECT value FROM node WHERE name = ?", arguments: [Self.nextIDName])
                .flatMap(UInt32.init) ?? 1
            let made = try make(next)
            guard made.allSatisfy({ $0.id >= next }), Set(made.map(\.id)).count == made.count else {
                throw ArborError(.invalidArgument, "new prekeys must have fresh ids from \(next) up")
            }
            for prekey in made {
                let sealed = try database.sealer.seal(prekey.seed, row: row(prekey.id))
                try db.execute(sql: "INSERT INTO prekeys (id, sealed) VALUES (?, ?)", arguments: [Int64(prekey.id), sealed])
            }
            let following = (made.map(\.id).max() ?? next - 1) + 1
            try db.execute(
                sql: "INSERT INTO node (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                arguments: [Self.nextIDName, String(following)])
            return made
        }
    }

    public func prekeyIDs() throws -> [UInt32] {
        try database.pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM prekeys ORDER BY id").map { UInt32(truncatingIfNeeded: $0) }
        }
    }

    public func consume<Result>(
        messageID: [UInt8], prekeyID: UInt32, keepUntil: Int64, now: Int64, _ open: (PrekeySecret?) throws -> Result
    ) throws -> Result {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM opened_messages WHERE keep_until < ?", arguments: [now])
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM opened_messages WHERE id = ?", arguments: [Data(messageID)]) == nil else {
                throw ArborError(.replayed, "this message was opened already")
            }
            var prekey: PrekeySecret?
            if prekeyID != 0 {
                guard let sealed = try Data.fetchOne(db, sql: "SELECT sealed FROM prekeys WHERE id = ?", arguments: [Int64(prekeyID)])
                else {
                    throw ArborError(.noMatchingKey, "prekey \(prekeyID) is not held here: it was used already, or never made here")
                }
                prekey = try PrekeySecret(id: prekeyID, seed: try database.sealer.open(sealed, row: row(prekeyID)))
            }
            let result = try open(prekey)
            // Overwritten before it is deleted, so the freed page holds zeros rather than the
            // sealed secret (older copies remain in the WAL until its next checkpoint).
            try db.execute(sql: "UPDATE prekeys SET sealed = zeroblob(length(sealed)) WHERE id = ?", arguments: [Int64(prekeyID)])
            try db.execute(sql: "DELETE FROM prekeys WHERE id = ?", arguments: [Int64(prekeyID)])
            try db.execute(
                sql: "INSERT INTO opened_messages (id, keep_until) VALUES (?, ?)", arguments: [Data(messageID), keepUntil])
            return result
        }
    }
}
