import ArborCore
import ArborOperations
import ArborServer
import Foundation
import Testing

/// The node's message store in its database (docs/cluster.md, "Messages between nodes"): prekey
/// secrets sealed to their rows and used once, and opened message ids that survive a restart.
@Suite("Node message store")
struct NodeMessageStoreTests {
    @Test("a prekey opens once, and a replay is refused after a restart")
    func onceAcrossRestart() async throws {
        let node = try await TestNode()
        let store = DatabaseNodeMessageStore(database: node.database)
        let made = try store.addPrekeys { first in try (0..<3).map { try PrekeySecret.generate(id: first + $0) } }
        #expect(made.map(\.id) == [1, 2, 3])
        #expect(try store.addPrekeys { [try PrekeySecret.generate(id: $0)] }.map(\.id) == [4])
        #expect(try store.prekeyIDs() == [1, 2, 3, 4])

        let id = Array(repeating: UInt8(9), count: 16)
        let opened = try store.consume(messageID: id, prekeyID: 2, keepUntil: 2_000_000_000, now: 1_800_000_000) { prekey in
            try #require(prekey).prekey
        }
        #expect(opened == made[1].prekey)
        #expect(try store.prekeyIDs() == [1, 3, 4])

        // The database file holds no prekey seed in clear.
        let file = try Data(contentsOf: URL(fileURLWithPath: node.directory.databasePath))
        let seed = made[0].seed.withUnsafeBytes { Data($0) }
        #expect(file.range(of: seed) == nil)

        // A restart: the same database opened again.
        let reopened = DatabaseNodeMessageStore(database: try NodeDatabase(path: node.directory.databasePath, node: node.directory.keys))
        #expect(throws: ArborError(.replayed, "")) {
            try reopened.consume(messageID: id, prekeyID: 0, keepUntil: 2_000_000_000, now: 1_800_000_001) { _ in }
        }
        #expect(throws: ArborError(.noMatchingKey, "")) {
            try reopened.consume(messageID: Array(repeating: 1, count: 16), prekeyID: 2, keepUntil: 2_000_000_000, now: 1_800_000_001) {
                _ in
            }
        }
        // Ids are never reused, even after a restart.
        #expect(try reopened.addPrekeys { [try PrekeySecret.generate(id: $0)] }.map(\.id) == [5])

        // A failed opening changes nothing: the prekey stays, the id is not remembered.
        struct Refused: Error {}
        let other = Array(repeating: UInt8(3), count: 16)
        #expect(throws: Refused.self) {
            try reopened.consume(messageID: other, prekeyID: 3, keepUntil: 2_000_000_000, now: 1_800_000_001) { _ in throw Refused() }
        }
        #expect(try reopened.prekeyIDs() == [1, 3, 4, 5])
        try reopened.consume(messageID: other, prekeyID: 3, keepUntil: 2_000_000_000, now: 1_800_000_001) { #expect($0?.id == 3) }

        // Past its keep-until time an id is forgotten (the opener refuses such old messages by their time).
        try reopened.consume(messageID: id, prekeyID: 0, keepUntil: 2_100_000_000, now: 2_000_000_001) { _ in }
    }
}
