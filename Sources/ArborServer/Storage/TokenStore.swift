import ArborCore
import Foundation
import GRDB

/// Tokens in the node database, by accessor, each with the SHA-256 of its secret; never the
/// secret.
struct TokenStore: Sendable {
    let database: NodeDatabase

    /// What a presented hash resolved to.
    enum Lookup: Sendable {
        case found(TokenRecord)
        case unknown
        case expired(accessor: String)
        case exhausted(accessor: String)
    }

    func insert(_ record: TokenRecord, hash: [UInt8]) async throws {
        let rules = String(decoding: try JSONEncoder().encode(record.rules), as: UTF8.self)
        try await database.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO tokens (accessor, lookup, hash, is_root, rules, display_name, created_at, expires_at, uses_remaining)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.accessor, Data(hash.prefix(8)), Data(hash), record.isRoot, rules, record.displayName, record.createdAt,
                    record.expiresAt, record.usesRemaining,
                ])
        }
    }

    /// Finds the token whose hash is `hash` (the index narrows by its first bytes, the whole hash
    /// is compared in constant time), and takes one use from it if its uses are counted.
    func authenticate(hash: [UInt8], now: Int64) async throws -> Lookup {
        let presented = SecretBytes(copying: hash)
        // Tokens with a use count are read every time: each use is taken in the database. The cache
        // is keyed by the hash of a 256-bit random secret, so its lookup time reveals nothing.
        let found = try database.tokenCache.value(for: Data(hash), isCacheable: { $0.usesRemaining == nil }) {
            let candidates = try database.selectOne("SELECT * FROM tokens WHERE lookup = ?", arguments: [Data(hash.prefix(8))]) {
                try Row.fetchAll($0)
            }
            return try candidates.first(where: { SecretBytes(copying: ($0["hash"] as Data)) == presented }).map(Self.record(from:))
        }
        guard let record = found else { return .unknown }
        if let expiresAt = record.expiresAt, now >= expiresAt { return .expired(accessor: record.accessor) }
        guard let uses = record.usesRemaining else { return .found(record) }
        guard uses > 0 else { return .exhausted(accessor: record.accessor) }
        // Taken atomically: two requests racing for the last use cannot both have it.
        let taken = try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE tokens SET uses_remaining = uses_remaining - 1 WHERE accessor = ? AND uses_remaining > 0",
                arguments: [record.accessor])
            return db.changesCount == 1
        }
        guard taken else { return .exhausted(accessor: record.accessor) }
        return .found(
            TokenRecord(
                accessor: record.accessor, isRoot: record.isRoot, rules: record.rules, displayName: record.displayName,
                createdAt: record.createdAt, expiresAt: record.expiresAt, usesRemaining: uses - 1))
    }

    /// Removes the token; true if it existed.
    @discardableResult
    func revoke(accessor: String) async throws -> Bool {
        defer { database.tokenCache.invalidate { _, record in record.accessor == accessor } }
        return try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM tokens WHERE accessor = ?", arguments: [accessor])
            return db.changesCount == 1
        }
    }

    private static func record(from row: Row) throws -> TokenRecord {
        let rulesText: String = row["rules"]
        return TokenRecord(
            accessor: row["accessor"], isRoot: row["is_root"],
            rules: try JSONDecoder().decode([PolicyRule].self, from: Data(rulesText.utf8)),
            displayName: row["display_name"], createdAt: row["created_at"], expiresAt: row["expires_at"],
            usesRemaining: row["uses_remaining"])
    }
}
