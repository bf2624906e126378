import ArborOperations
import ArborServer
import Crypto
import Foundation
import Testing

@testable import ArborCore

/// Secrets at rest: sealed to their row under the node's storage key, never in the database
/// file or its write-ahead log in clear.
@Suite("secret storage")
struct SecretStorageTests {
    /// Every file SQLite keeps for the database.
    func databaseBytes(_ node: TestNode) throws -> [UInt8] {
        let path = node.directory.databasePath
        return try ["", "-wal", "-shm"].flatMap { suffix -> [UInt8] in
            guard FileManager.default.fileExists(atPath: path + suffix) else { return [] }
            return Array(try Data(contentsOf: URL(fileURLWithPath: path + suffix)))
        }
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in haystack[start..<(start + needle.count)].elementsEqual(needle) }
    }

    @Test("a stored keyring comes back whole, and its seeds are in neither the database file nor its WAL")
    func noSeedOnDisk() async throws {
        let node = try await TestNode()
        let store = SealedKeyringStore(database: node.database)
        var keyring = try MeshKeyring.create(name: "payments", owner: node.directory.secret)
        try keyring.rotate(owner: node.directory.secret)
        try await store.save(keyring)
        try await store.save(try MeshKeyring.create(name: "hr", owner: node.directory.secret, cipher: .aes256GCM))

        let loaded = try #require(try await store.load("payments"))
        #expect(loaded.heldEpochs == [1, 2])
        #expect(loaded.activeEpoch == 2)
        #expect(loaded.seeds == keyring.seeds)
        #expect(try await store.names() == ["hr", "payments"])
        #expect(try await store.load("absent") == nil)

        let bytes = try databaseBytes(node)
        #expect(contains(bytes, Array("payments".utf8)), "the scan must see the database's contents")
        let seeds = keyring.seeds.values.map { $0.withUnsafeBytes { Array($0) } }
        #expect(seeds.count == 2)
        for seed in seeds {
            #expect(!contains(bytes, seed))
            #expect(!contains(bytes, Array(Data(seed).base64EncodedString().utf8)))
        }
        let file = MeshKeyringFile.encode(keyring).withUnsafeBytes { Array($0) }
        #expect(!contains(bytes, Array(file.prefix(64))))
        #expect(!contains(bytes, Array(node.rootToken.utf8)))
    }

    @Test("as the operations' KeyringStore, concurrent rotations are serialised by the transaction: none is lost")
    func concurrentRotations() async throws {
        let node = try await TestNode()
        let operations = KeyringOperations(store: node.node.keyrings)
        let owner = node.directory.secret
        _ = try operations.create("payments", owner: owner, cipher: .chaCha20Poly1305)
        #expect(throws: ArborError(.fileExists, "")) { try operations.create("payments", owner: owner, cipher: .chaCha20Poly1305) }
        #expect(throws: ArborError(.fileNotFound, "")) { try operations.summary("absent") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { _ = try operations.rotate("payments", owner: owner, descendToOwner: true) } }
            try await group.waitForAll()
        }
        let summary = try operations.summary("payments")
        #expect(summary.activeEpoch == 9)
        #expect(summary.heldEpochs == Array(1...9))
        #expect(try operations.list().map(\.name) == ["payments"])
    }

    @Test("a sealed value opens only in its own row, and only under its node's key")
    func sealedValueIsBound() throws {
        let node = try NodeSecret(root: RootKey.generate()).descendant(try TreePath(parsing: "eu/node-1"))
        let other = try NodeSecret(root: RootKey.generate()).descendant(try TreePath(parsing: "eu/node-1"))
        let sealer = SecretSealer(node: try node.keySet())
        let secret = SecretBytes(copying: Array(repeating: 7, count: 32))
        let row = RowIdentity(table: "keyrings", key: "payments")
        let sealed = try sealer.seal(secret, row: row)
        #expect(try sealer.open(sealed, row: row) == secret)
        #expect(try sealer.seal(secret, row: row) != sealed, "a fresh nonce each time")
        #expect(throws: ArborError(.authenticationFailed, "")) { try sealer.open(sealed, row: RowIdentity(table: "keyrings", key: "hr")) }
        #expect(throws: ArborError(.authenticationFailed, "")) { try SecretSealer(node: try other.keySet()).open(sealed, row: row) }
        var tampered = sealed
        tampered[20] ^= 1
        #expect(throws: ArborError(.authenticationFailed, "")) { try sealer.open(tampered, row: row) }
        #expect(throws: ArborError(.corruptFile, "")) { try sealer.open(Data([1, 2, 3]), row: row) }
    }

    @Test("the database refuses another node's key")
    func otherNodeKey() async throws {
        let node = try await TestNode()
        let stranger = try NodeSecret(root: RootKey.generate()).keySet()
        #expect(throws: ArborError(.wrongKeyring, "")) { try NodeDatabase(path: node.directory.databasePath, node: stranger) }
        // The right key still opens it, and the data directory reads back.
        let reopened = try NodeDataDirectory.open(node.directory.path)
        #expect(reopened.keys.keyID == node.directory.keys.keyID)
        _ = try NodeDatabase(path: reopened.databasePath, node: reopened.keys)
    }
}
