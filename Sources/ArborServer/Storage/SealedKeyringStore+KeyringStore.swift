import ArborCore
import ArborOperations
import GRDB

/// The node's keyrings as `ArborOperations` sees them. These calls are synchronous, as the
/// protocol is; GRDB runs them on its own connections (readers beside the one writer).
extension SealedKeyringStore: KeyringCatalog {
    public func name(for reference: String) -> String { reference }

    public func location(of reference: String) -> String { "node database, keyring '\(reference)'" }

    public func load(_ reference: String) throws -> MeshKeyring {
        guard let keyring = try cachedKeyring(reference) else { throw Self.notFound(reference) }
        return keyring
    }

    public func create(_ keyring: MeshKeyring, at reference: String) throws {
        let sealed = try seal(keyring)
        let now = clock.now()
        defer { invalidate(reference) }
        try database.pool.write { db in
            guard try Self.sealedRow(reference, in: db) == nil else {
                throw ArborError(.fileExists, "a keyring named '\(reference)' exists already")
            }
            try Self.upsert(keyring, sealed: sealed, now: now, in: db)
        }
    }

    /// Reads, changes and writes the keyring in one write transaction: SQLite's single writer
    /// serialises updates, so two rotations never both start from the same epoch.
    public func update(_ reference: String, _ change: (inout MeshKeyring) throws -> Bool) throws -> MeshKeyring {
        let now = clock.now()
        defer { invalidate(reference) }
        return try database.pool.write { db in
            guard let sealed = try Self.sealedRow(reference, in: db) else { throw Self.notFound(reference) }
            var keyring = try unseal(sealed, name: reference)
            if try change(&keyring) {
                try Self.upsert(keyring, sealed: try seal(keyring), now: now, in: db)
            }
            return keyring
        }
    }

    public func references() throws -> [String] {
        try database.pool.read { db in try Self.allNames(in: db) }
    }

    static func notFound(_ name: String) -> ArborError {
        ArborError(.fileNotFound, "there is no keyring named '\(name)' on this node")
    }
}
