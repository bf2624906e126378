import ArborCore
import Foundation
import GRDB

/// Moving the database to a new node key (a parent-ordered rekey, a root rekey): every value
/// sealed by `SecretSealer` is opened under the old key and sealed again under the new one, and
/// the database is bound to the new key, in one write transaction, so a crash leaves it wholly on
/// one key or wholly on the other.
extension NodeDatabase {
    /// A column of `sealer.seal` output in `table`, with the column that names the row (the key
    /// of its `RowIdentity`).
    struct SealedColumn: Sendable {
        let table: String
        let rowKey: String
        let sealed: String
    }

    /// Every column the sealer writes. A sealed column missing here would not open after a change
    /// of node key (`NodeKeyReplacementTests` checks every BLOB column of the schema is accounted for).
    static let sealedColumns = [
        SealedColumn(table: SealedKeyringStore.table, rowKey: "name", sealed: "sealed"),
        SealedColumn(table: "prekeys", rowKey: "id", sealed: "sealed"),
    ]

    /// What `reseal(path:from:to:)` did.
    public struct Reseal: Sendable, Equatable {
        /// The sealed values opened and sealed again under the new key.
        public let resealedValues: Int
        /// The database was bound to the new key already (a second run, or a run after a crash
        /// that followed the commit): nothing was changed.
        public let wasAlreadyBound: Bool
    }

    /// The key id (64 hex digits) the database at `path` is bound to; nil when there is no
    /// database there, or it was never bound.
    public static func boundKeyID(path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try pool.read { db in
            guard try db.tableExists("node") else { return nil }
            return try String.fetchOne(db, sql: "SELECT value FROM node WHERE name = 'key_id'")
        }
    }

    /// Re-seals every sealed value of the database at `path` from the `old` node key to the `new`
    /// one and binds the database to `new`, in one write transaction. A database already bound to
    /// `new` is left alone; one bound to neither key is refused (`wrong keyring`) and left as it
    /// was. A `NodeDatabase` opened under the old key must not write after this (its sealer is the
    /// old key's): open the database again under the new key.
    public static func reseal(path: String, from old: NodeKeySet, to new: NodeKeySet) throws -> Reseal {
        let oldID = old.keyID.description
        let newID = new.keyID.description
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        let opener = SecretSealer(node: old)
        let sealer = SecretSealer(node: new)
        return try pool.write { db in
            let bound = try String.fetchOne(db, sql: "SELECT value FROM node WHERE name = 'key_id'")
            if bound == newID { return Reseal(resealedValues: 0, wasAlreadyBound: true) }
            if let bound, bound != oldID {
                throw ArborError(
                    .wrongKeyring,
                    "the node database \(path) is bound to the node key \(bound), neither to the current key \(oldID) nor to the new key \(newID); it belongs to another node: move it back to its own data directory, or give this node a fresh one"
                )
            }
            var count = 0
            for column in sealedColumns {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT rowid AS row_id, CAST(\(column.rowKey) AS TEXT) AS row_key, \(column.sealed) AS sealed
                        FROM \(column.table)
                        """)
                for row in rows {
                    let identity = RowIdentity(table: column.table, key: row["row_key"])
                    // The opened secret is wiped when it goes out of scope (`SecretBytes`).
                    let sealed = try sealer.seal(try opener.open(row["sealed"], row: identity), row: identity)
                    let rowID: Int64 = row["row_id"]
                    try db.execute(
                        sql: "UPDATE \(column.table) SET \(column.sealed) = ? WHERE rowid = ?", arguments: [sealed, rowID])
                    count += 1
                }
            }
            try db.execute(
                sql: "INSERT INTO node (name, value) VALUES ('key_id', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                arguments: [newID])
            return Reseal(resealedValues: count, wasAlreadyBound: false)
        }
    }
}
