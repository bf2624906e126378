import ArborCore
import Foundation
import GRDB

/// The node's SQLite database: one file in the data directory, WAL mode (a `DatabasePool`: reads
/// run beside the single writer), the schema brought up to date by `DatabaseMigrator` at open.
public final class NodeDatabase: Sendable {
    public static let fileName = "node.sqlite"

    let pool: DatabasePool
    public let sealer: SecretSealer
    /// Keyrings unsealed by this process, by name, until a write of their row.
    let keyringCache = RowCache<String, MeshKeyring>()
    /// Tokens without a use count, by the hash of their secret, until revoked.
    let tokenCache = RowCache<Data, TokenRecord>()
    /// The node's path in the key tree (the origin it records when it seals).
    public let nodePath: TreePath

    /// Opens (creating if need be) the database at `path` and migrates it. The node's keys must
    /// be the ones the database was created with; another node's key is refused before anything
    /// is served.
    public init(path: String, node keys: NodeKeySet) throws {
        pool = try DatabasePool(path: path, configuration: Self.configuration)
        sealer = SecretSealer(node: keys)
        nodePath = keys.path
        try Self.migrator.migrate(pool)
        try bind(to: keys)
    }

    /// How every connection to the node database is set up.
    static var configuration: Configuration {
        var configuration = Configuration()
        configuration.label = "arbor.node"
        configuration.busyMode = .timeout(10)
        // A crash loses no acknowledged write: every commit reaches the disk.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return configuration
    }

    /// The schema, one migration per change, never edited once released. A new column holding
    /// `sealer.seal` output joins `sealedColumns` (NodeDatabase+Reseal.swift), or a change of
    /// node key leaves it unreadable.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: node, tokens, keyrings") { db in
            try db.create(table: "node") { table in
                table.primaryKey("name", .text)
                table.column("value", .text).notNull()
            }
            try db.create(table: "tokens") { table in
                table.primaryKey("accessor", .text)
                // The first 8 bytes of the hash, for the index; the whole hash is compared in
                // constant time after the lookup.
                table.column("lookup", .blob).notNull().indexed()
                table.column("hash", .blob).notNull()
                table.column("is_root", .boolean).notNull()
                table.column("rules", .text).notNull()
                table.column("display_name", .text).notNull()
                table.column("created_at", .integer).notNull()
                table.column("expires_at", .integer)
                table.column("uses_remaining", .integer)
            }
            try db.create(table: "keyrings") { table in
                table.primaryKey("name", .text)
                table.column("owner", .text).notNull()
                table.column("cipher", .text).notNull()
                table.column("active_epoch", .integer).notNull()
                table.column("minimum_epoch", .integer).notNull()
                // The keyring file (seeds included), sealed by `SecretSealer` to this row.
                table.column("sealed", .blob).notNull()
                table.column("updated_at", .integer).notNull()
            }
        }
        migrator.registerMigration("v2: state") { db in
            // Small pieces of durable state by name (the replay guard's memory), read and
            // rewritten in one write transaction.
            try db.create(table: "state") { table in
                table.primaryKey("name", .text)
                table.column("value", .blob).notNull()
            }
        }
        migrator.registerMigration("v3: cluster") { db in try DatabaseClusterStateStore.createTable(in: db) }
        migrator.registerMigration("cluster messages: prekeys, opened message ids") { db in
            // One-time prekey secrets (sealed to their row) until a message sealed to one opens,
            // and the ids of opened messages until they leave the replay window (docs/cluster.md,
            // "Messages between nodes"). The next prekey id is a row of `node`.
            try db.create(table: "prekeys") { table in
                table.primaryKey("id", .integer)
                table.column("sealed", .blob).notNull()
            }
            try db.create(table: "opened_messages") { table in
                table.primaryKey("id", .blob)
                table.column("keep_until", .integer).notNull().indexed()
            }
        }
        return migrator
    }

    /// Records the node's key id at first open, and refuses a different key after that.
    private func bind(to keys: NodeKeySet) throws {
        let keyID = keys.keyID.description
        let stored = try pool.write { db -> String in
            if let existing = try String.fetchOne(db, sql: "SELECT value FROM node WHERE name = 'key_id'") { return existing }
            try db.execute(sql: "INSERT INTO node (name, value) VALUES ('key_id', ?)", arguments: [keyID])
            return keyID
        }
        guard stored == keyID else {
            throw ArborError(
                .wrongKeyring,
                "this data directory belongs to the node key \(stored), not to \(keyID); pass the node key it was created with")
        }
    }

    /// Runs one SELECT on the path every request takes (the token, the keyring): without the
    /// transaction a `read` wraps around it (one statement reads one consistent snapshot anyway),
    /// with the statement prepared once per connection rather than parsed on every request.
    func selectOne<T>(_ sql: String, arguments: StatementArguments, _ fetch: (Statement) throws -> T) throws -> T {
        try pool.unsafeRead { db in
            let statement = try db.cachedStatement(sql: sql)
            statement.arguments = arguments
            return try fetch(statement)
        }
    }

    /// Whether the database answers: for `GET /v1/sys/ready`.
    public func isReady() async -> Bool {
        (try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }
}
