import ArborCluster
import ArborCore
import ArborOperations
import ArborTestSupport
import Foundation
import Testing

/// Leaf ranges of a shared HSS key reserved through a real etcd (docs/cluster.md, "Leaf ranges through etcd").
@Suite("Leaf ranges through etcd", .serialized)
struct EtcdLeafRangesTests {
    static let lmsPublicKey = [UInt8](repeating: 7, count: 56)

    func source(_ etcd: EtcdClient, _ identities: ClusterTestIdentities, _ path: String) throws -> EtcdLeafRanges {
        let node = try identities.node(path)
        return try EtcdLeafRanges(
            etcd: etcd, secret: node.secret, chain: node.chain, root: try identities.anchor(), clock: ClusterTestIdentities.now)
    }

    @Test("nodes reserving at once get disjoint ranges that together cover the counter")
    func concurrentReservationsAreDisjoint() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let identities = try ClusterTestIdentities()
            let sources = try ["eu/node-1", "eu/node-2", "us/node-3"].map { try source(etcd, identities, $0) }
            let ranges = try await withThrowingTaskGroup(of: [Range<UInt32>].self) { group in
                for source in sources {
                    group.addTask {
                        var mine: [Range<UInt32>] = []
                        for _ in 0..<15 {
                            mine.append(try await source.reserve(count: 3, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(ranges.count == 45)
            var used = Set<UInt32>()
            for range in ranges {
                for leaf in range { #expect(used.insert(leaf).inserted, "leaf \(leaf) was reserved twice") }
            }
            #expect(used == Set(0..<135), "ranges follow one another without gaps")
            // A holder's own state below the counter moves its next range up, never down.
            let high = try await sources[0].reserve(count: 4, atLeast: 500, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            #expect(high == 500..<504)
            let next = try await sources[1].reserve(count: 4, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            #expect(next == 504..<508)
        }
    }

    @Test("its own last record written back at a new revision is refused, also by the next run restored from the saved state")
    func ownRecordWrittenBack() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let identities = try ClusterTestIdentities()
            let node = try identities.node("eu/node-1")
            let saved = SavedBox()
            func run(_ state: [UInt8]?) throws -> EtcdLeafRanges {
                try EtcdLeafRanges(
                    etcd: etcd, secret: node.secret, chain: node.chain, root: try identities.anchor(), savedState: state,
                    clock: ClusterTestIdentities.now, persist: { saved.bytes = $0 })
            }
            let other = try source(etcd, identities, "eu/node-2")
            let key = ClusterRecordKey.leaves(lmsPublicKey: Self.lmsPublicKey, cluster: identities.cluster).text
            let first = try run(nil)
            #expect(try await first.reserve(count: 4, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024) == 0..<4)
            let own = try #require(try await etcd.get(key)).value
            // The next run, restored, continues after what another node reserved meanwhile.
            #expect(try await other.reserve(count: 4, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024) == 4..<8)
            let second = try run(saved.bytes)
            #expect(try await second.reserve(count: 4, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024) == 8..<12)
            let latest = try #require(try await etcd.get(key)).value
            // Its latest record written again (same bytes, new revision): another node may have reserved since.
            _ = try await etcd.put(key: key, value: latest)
            let rewritten = await #expect(throws: ArborError.self) {
                try await run(saved.bytes).reserve(count: 4, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            }
            #expect(rewritten?.code == .rollback)
            // An older record of its own: refused as a replay by a run restored from the saved state.
            _ = try await etcd.put(key: key, value: own)
            let replayed = await #expect(throws: ArborError.self) {
                try await run(saved.bytes).reserve(count: 4, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            }
            #expect(replayed?.code == .replayed)
        }
    }

    @Test("the last range stops at the key's end; then the key is exhausted")
    func exhaustion() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let source = try source(etcd, try ClusterTestIdentities(), "eu/node-1")
            #expect(try await source.reserve(count: 24, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 32) == 0..<24)
            #expect(try await source.reserve(count: 24, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 32) == 24..<32)
            await #expect(throws: ArborError.self) {
                try await source.reserve(count: 1, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 32)
            }
        }
    }

    @Test("a writer to etcd cannot lower the counter: an old record written back, a forged one, a deletion")
    func attacksAreRefused() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let identities = try ClusterTestIdentities()
            let one = try source(etcd, identities, "eu/node-1")
            let key = ClusterRecordKey.leaves(lmsPublicKey: Self.lmsPublicKey, cluster: identities.cluster).text
            _ = try await one.reserve(count: 8, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            let old = try #require(try await etcd.get(key)).value
            _ = try await one.reserve(count: 8, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)

            try await etcd.put(key: key, value: old)
            let replayed = await #expect(throws: ArborError.self) {
                try await one.reserve(count: 8, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            }
            #expect(replayed?.code == .replayed)

            try await etcd.put(key: key, value: Array("next=0".utf8))
            let forged = await #expect(throws: ArborError.self) {
                try await one.reserve(count: 8, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            }
            #expect(forged?.code == .malformedInput)

            _ = try await etcd.delete(key: key)
            let deleted = await #expect(throws: ArborError.self) {
                try await one.reserve(count: 8, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            }
            #expect(deleted?.code == .rollback)

            // A record another cluster's node signed, copied here.
            let strangers = try ClusterTestIdentities()
            _ = try await source(etcd, strangers, "eu/node-1").reserve(
                count: 8, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            let strangerKey = ClusterRecordKey.leaves(lmsPublicKey: Self.lmsPublicKey, cluster: strangers.cluster).text
            try await etcd.put(key: key, value: try #require(try await etcd.get(strangerKey)).value)
            let foreign = await #expect(throws: ArborError.self) {
                try await one.reserve(count: 8, atLeast: 0, lmsPublicKey: Self.lmsPublicKey, leafCount: 1024)
            }
            #expect(foreign?.code == .wrongCluster)
        }
    }
}

/// What `persist` was given last (the test's stand-in for the KEY.leaves file).
private final class SavedBox: @unchecked Sendable {  // Written by one reservation at a time.
    var bytes: [UInt8]?
}
