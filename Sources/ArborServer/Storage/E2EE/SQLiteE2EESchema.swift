import GRDB

/// The tables of `e2ee.sqlite`, one migration per change, never edited once released. Byte
/// strings are blobs; ids are their 16 bytes.
enum SQLiteE2EESchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: accounts, sessions, conversations, messages, streams") { db in
            try db.create(table: "settings") { table in
                table.primaryKey("name", .text)
                table.column("value", .blob).notNull()
            }
            try db.create(table: "accounts") { table in
                table.primaryKey("id", .blob)
                table.column("name", .text).notNull().unique()
                table.column("rounds", .integer).notNull()
                table.column("salt", .blob).notNull()
                table.column("login_public_key", .blob).notNull()
                table.column("master_by_password", .blob).notNull()
                table.column("master_by_recovery", .blob).notNull()
                table.column("identity", .blob).notNull()
                table.column("receiving_public_key", .blob).notNull()
                table.column("signing_public_key", .blob).notNull()
                table.column("pq_signing_public_key", .blob).notNull()
                table.column("created_at", .integer).notNull()
            }
            try db.create(table: "sessions") { table in
                table.primaryKey("device", .blob)
                table.column("account", .blob).notNull().indexed()
                table.column("name", .text).notNull()
                table.column("token_hash", .blob).notNull().unique()
                table.column("created_at", .integer).notNull()
                table.column("expires_at", .integer).notNull().indexed()
            }
            try db.create(table: "conversations") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("id", .blob).notNull().unique()
                table.column("creator", .blob).notNull()
                table.column("nonce", .blob).notNull()
                table.column("created_at", .integer).notNull()
            }
            try db.create(table: "envelopes") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("conversation", .blob).notNull()
                table.column("epoch", .integer).notNull()
                table.column("recipient", .blob).notNull().indexed()
                table.column("adder", .blob).notNull()
                table.column("bytes", .blob).notNull()
                table.uniqueKey(["conversation", "epoch", "recipient"])
            }
            try db.create(table: "messages") { table in
                table.column("conversation", .blob).notNull()
                table.column("position", .integer).notNull()
                table.column("id", .blob).notNull()
                table.column("epoch", .integer).notNull()
                table.column("sender", .blob).notNull()
                table.column("is_stream", .boolean).notNull()
                table.column("bytes", .blob).notNull()
                table.primaryKey(["conversation", "position"])
                table.uniqueKey(["conversation", "id"])
            }
            try db.create(table: "chunks") { table in
                table.column("conversation", .blob).notNull()
                table.column("stream", .blob).notNull()
                table.column("chunk_index", .integer).notNull()
                table.column("bytes", .blob).notNull()
                table.column("is_final", .boolean).notNull()
                table.primaryKey(["conversation", "stream", "chunk_index"])
            }
            try db.create(table: "stream_seals") { table in
                table.column("conversation", .blob).notNull()
                table.column("stream", .blob).notNull()
                table.column("seal", .blob).notNull()
                table.primaryKey(["conversation", "stream"])
            }
        }
        return migrator
    }
}
