import ArborOperations
import Foundation
import GRDB

/// What the node applied of a cluster's state (`ClusterState`), one row per cluster in the
/// `cluster_state` table: the ledger snapshot (signed public records, never a secret), the last
/// etcd revision applied and the time of the last contact with etcd.
public struct DatabaseClusterStateStore: ClusterStateStore {
    let database: NodeDatabase

    public init(database: NodeDatabase) {
        self.database = database
    }

    static func createTable(in db: Database) throws {
        try db.create(table: "cluster_state") { table in
            // The cluster root's key id, 64 hex digits.
            table.primaryKey("cluster", .text)
            table.column("ledger", .blob).notNull()
            table.column("revision", .integer).notNull()
            // Milliseconds since 1970; NULL until the first contact.
            table.column("last_contact", .integer)
        }
    }

    public func load(cluster: String) throws -> ClusterState? {
        try database.pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT ledger, revision, last_contact FROM cluster_state WHERE cluster = ?", arguments: [cluster])
            else { return nil }
            let ledger: Data = row["ledger"]
            return ClusterState(ledgerSnapshot: [UInt8](ledger), revision: row["revision"], lastContact: row["last_contact"])
        }
    }

    public func save(_ state: ClusterState, cluster: String) throws {
        try database.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO cluster_state (cluster, ledger, revision, last_contact) VALUES (?, ?, ?, ?)
                    ON CONFLICT(cluster) DO UPDATE SET ledger = excluded.ledger, revision = excluded.revision,
                    last_contact = excluded.last_contact
                    """,
                arguments: [cluster, Data(state.ledgerSnapshot), state.revision, state.lastContact])
        }
    }
}
