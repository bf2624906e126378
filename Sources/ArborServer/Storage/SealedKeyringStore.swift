import ArborCore
import ArborOperations
import Foundation
import GRDB

/// Keyrings in the node database. The keyring file (with its epoch seeds) is sealed to its row
/// by `SecretSealer`; the clear columns (owner, cipher, epochs) are for listing only, and the
/// sealed copy is what is trusted when the keyring is used.
///
/// It is the node's `KeyringStore` for `KeyringOperations`: a reference is the keyring's name,
/// and `update` runs in one database transaction, so concurrent rotations and retirements of a
/// keyring are serialised and none is lost.
public struct SealedKeyringStore: Sendable {
    static let table = "keyrings"

    let database: NodeDatabase
    let clock: NodeClock

    public init(database: NodeDatabase, clock: NodeClock = .system) {
        self.database = database
        self.clock = clock
    }

    /// Inserts or replaces the keyring named `keyring.name`, in one transaction.
    public func save(_ keyring: MeshKeyring) async throws {
        let sealed = try seal(keyring)
        let now = clock.now()
        defer { invalidate(keyring.name) }
        try await database.pool.write { db in try Self.upsert(keyring, sealed: sealed, now: now, in: db) }
    }

    /// The keyring, unsealed; nil if there is none of that name.
    public func load(_ name: String) async throws -> MeshKeyring? {
        try cachedKeyring(name)
    }

    public func names() async throws -> [String] {
        try await database.pool.read { db in try Self.allNames(in: db) }
    }

    static func row(_ name: String) -> RowIdentity { RowIdentity(table: table, key: name) }

    func seal(_ keyring: MeshKeyring) throws -> Data {
        try database.sealer.seal(MeshKeyringFile.encode(keyring), row: Self.row(keyring.name))
    }

    func unseal(_ sealed: Data, name: String) throws -> MeshKeyring {
        let keyring = try MeshKeyringFile.decode(try database.sealer.open(sealed, row: Self.row(name)))
        guard keyring.name == name else {
            throw ArborError(.corruptFile, "the keyrings row '\(name)' holds another keyring")
        }
        return keyring
    }

    /// The keyring as every request reads it: from the cache, else unsealed from its row.
    func cachedKeyring(_ name: String) throws -> MeshKeyring? {
        try database.keyringCache.value(for: name) {
            let sealed = try database.selectOne(Self.selectSealed, arguments: [name]) { try Data.fetchOne($0) }
            return try sealed.map { try unseal($0, name: name) }
        }
    }

    /// After every write of the row `name`, committed or not.
    func invalidate(_ name: String) {
        database.keyringCache.invalidate { key, _ in key == name }
    }

    static let selectSealed = "SELECT sealed FROM keyrings WHERE name = ?"

    static func sealedRow(_ name: String, in db: Database) throws -> Data? {
        try Data.fetchOne(db, sql: selectSealed, arguments: [name])
    }

    static func allNames(in db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM keyrings ORDER BY name")
    }

    static func upsert(_ keyring: MeshKeyring, sealed: Data, now: Int64, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO keyrings (name, owner, cipher, active_epoch, minimum_epoch, sealed, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, cipher = excluded.cipher,
                    active_epoch = excluded.active_epoch, minimum_epoch = excluded.minimum_epoch,
                    sealed = excluded.sealed, updated_at = excluded.updated_at
                """,
            arguments: [
                keyring.name, keyring.owner.description, keyring.cipher.description, Int64(keyring.activeEpoch),
                Int64(keyring.minimumEpoch), sealed, now,
            ])
    }
}
