import ArborCluster
import ArborCore
import ArborTestSupport
import Foundation
import Testing

/// The etcd client against a real etcd (see EtcdServer): each test starts its own server.
@Suite(.serialized)
struct EtcdClientTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func putGetAndRangeCarryRevisionsAndVersions() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let first = try await etcd.put(key: "/arbor/a", value: bytes("one"))
            let second = try await etcd.put(key: "/arbor/a", value: bytes("two"))
            let third = try await etcd.put(key: "/arbor/b", value: [0, 0xff, 0x80])
            try await etcd.put(key: "/arbor0", value: bytes("outside the prefix"))
            #expect(first < second && second < third)

            let a = try #require(try await etcd.get("/arbor/a"))
            #expect(a.value == bytes("two"))
            #expect(a.createRevision == first)
            #expect(a.modRevision == second)
            #expect(a.version == 2)
            #expect(try await etcd.get("/arbor/missing") == nil)

            let range = try await etcd.range(prefix: "/arbor/")
            #expect(range.keyValues.map(\.key) == ["/arbor/a", "/arbor/b"])
            #expect(range.keyValues[1].value == [0, 0xff, 0x80])
            #expect(range.keyValues[1].version == 1)
            #expect(range.revision > third)
            // The empty prefix is the whole keyspace.
            #expect(try await etcd.range(prefix: "").keyValues.map(\.key) == ["/arbor/a", "/arbor/b", "/arbor0"])

            // A value written empty reads back empty (the gateway leaves the field out).
            try await etcd.put(key: "/arbor/empty", value: [])
            #expect(try await etcd.get("/arbor/empty")?.value == [])
        }
    }

    @Test func deleteOneKeyAndAPrefix() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            for key in ["/p/1", "/p/2", "/p/3", "/q/1"] { try await etcd.put(key: key, value: bytes(key)) }
            #expect(try await etcd.delete(key: "/p/1") == 1)
            #expect(try await etcd.delete(key: "/p/1") == 0)
            #expect(try await etcd.get("/p/1") == nil)
            #expect(try await etcd.delete(prefix: "/p/") == 2)
            #expect(try await etcd.range(prefix: "/p/").keyValues.isEmpty)
            #expect(try await etcd.get("/q/1")?.value == bytes("/q/1"))
            // The empty prefix deletes everything left.
            #expect(try await etcd.delete(prefix: "") == 1)
            #expect(try await etcd.range(prefix: "").keyValues.isEmpty)
        }
    }

    @Test func compareAndSwapHasExactlyOneWinner() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let revision = try await etcd.put(key: "/leader", value: bytes("nobody"))
            let outcomes = try await withThrowingTaskGroup(of: (String, EtcdTransactionResult).self) { group in
                for writer in ["node-a", "node-b"] {
                    group.addTask {
                        let result = try await etcd.transaction(
                            compare: [.modRevision(of: "/leader", .equal, revision)],
                            success: [.put(key: "/leader", value: Array(writer.utf8))],
                            failure: [.get(key: "/leader")]
                        )
                        return (writer, result)
                    }
                }
                var outcomes: [(String, EtcdTransactionResult)] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let winners = outcomes.filter { $0.1.succeeded }
            try #require(winners.count == 1)
            let winner = winners[0].0
            let loser = try #require(outcomes.first { !$0.1.succeeded })
            #expect(try await etcd.get("/leader")?.value == bytes(winner))
            // The loser's failure branch read what the winner wrote.
            guard case .range(let seen) = loser.1.results.first else {
                Issue.record("the failure branch returned \(loser.1.results)")
                return
            }
            #expect(seen.first?.value == bytes(winner))
            #expect(seen.first?.modRevision == winners[0].1.revision)
        }
    }

    @Test func comparesOnValueVersionAndCreateRevision() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            // Create only if absent: version 0.
            let create = try await etcd.transaction(
                compare: [.version(of: "/k", .equal, 0)],
                success: [.put(key: "/k", value: bytes("v1"))]
            )
            #expect(create.succeeded)
            let again = try await etcd.transaction(
                compare: [.version(of: "/k", .equal, 0)],
                success: [.put(key: "/k", value: bytes("other"))]
            )
            #expect(!again.succeeded)
            #expect(try await etcd.get("/k")?.value == bytes("v1"))

            #expect(try await etcd.transaction(compare: [.value(of: "/k", .equal, bytes("v1"))], success: []).succeeded)
            #expect(try await !etcd.transaction(compare: [.value(of: "/k", .notEqual, bytes("v1"))], success: []).succeeded)
            #expect(try await etcd.transaction(compare: [.createRevision(of: "/k", .equal, create.revision)], success: []).succeeded)
            #expect(try await etcd.transaction(compare: [.modRevision(of: "/k", .less, create.revision + 1)], success: []).succeeded)
            #expect(try await !etcd.transaction(compare: [.version(of: "/k", .greater, 1)], success: []).succeeded)

            let swap = try await etcd.transaction(
                compare: [.value(of: "/k", .equal, bytes("v1"))],
                success: [.delete(key: "/k"), .put(key: "/k2", value: bytes("moved")), .range(prefix: "/k")]
            )
            #expect(swap.succeeded)
            #expect(swap.results.count == 3)
            #expect(swap.results[0] == .delete(deleted: 1))
            guard case .range(let after) = swap.results[2] else {
                Issue.record("the third result is \(swap.results[2])")
                return
            }
            #expect(after.map(\.key) == ["/k2"])
        }
    }

    @Test func revokingALeaseDeletesItsKeys() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let lease = try await etcd.grantLease(ttlSeconds: 60)
            #expect(lease.id != 0)
            try await etcd.put(key: "/nodes/a", value: bytes("alive"), lease: lease.id)
            try await etcd.put(key: "/nodes/b", value: bytes("kept"))
            #expect(try await etcd.get("/nodes/a")?.lease == lease.id)
            try await etcd.revokeLease(lease.id)
            #expect(try await etcd.range(prefix: "/nodes/").keyValues.map(\.key) == ["/nodes/b"])
            // A revoked lease cannot be kept alive: its TTL comes back as 0.
            #expect(try await etcd.keepAlive(lease: lease.id).ttlSeconds == 0)
            // Revoking it again is etcd's error, passed on with its message.
            do {
                try await etcd.revokeLease(lease.id)
                Issue.record("revoking a revoked lease succeeded")
            } catch let error as ArborError {
                #expect(error.message.contains("requested lease not found"), "\(error)")
            }
        }
    }

    @Test func aLeaseNotKeptAliveExpiresAndKeepAliveHoldsIt() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let expiring = try await etcd.grantLease(ttlSeconds: 2)
            let kept = try await etcd.grantLease(ttlSeconds: 2)
            try await etcd.put(key: "/nodes/expiring", value: bytes("x"), lease: expiring.id)
            try await etcd.put(key: "/nodes/kept", value: bytes("y"), lease: kept.id)
            // Keep one lease alive (well within its TTL) until the other has expired.
            var expired = false
            for _ in 0..<120 {
                let renewed = try await etcd.keepAlive(lease: kept.id)
                #expect(renewed.ttlSeconds > 0)
                if try await etcd.get("/nodes/expiring") == nil {
                    expired = true
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(expired, "the key of the lease not kept alive was never deleted")
            #expect(try await etcd.get("/nodes/kept")?.value == bytes("y"))
            #expect(try await etcd.keepAlive(lease: expiring.id).ttlSeconds == 0)
        }
    }

    @Test func watchReplaysFromARevisionThenFollowsInOrder() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let start = try await etcd.put(key: "/w/a", value: bytes("1"))
            let second = try await etcd.put(key: "/w/b", value: bytes("2"))
            try await etcd.put(key: "/elsewhere", value: bytes("not watched"))
            try await etcd.delete(key: "/w/a")

            var seen: [EtcdWatchEvent] = []
            for try await event in etcd.watch(prefix: "/w/", fromRevision: start) {
                seen.append(event)
                // The three changes made before the watch started are replayed; then one made after.
                if seen.count == 3 { try await etcd.put(key: "/w/c", value: bytes("3")) }
                if seen.count == 4 { break }
            }
            #expect(seen.map(\.kind) == [.put, .put, .delete, .put])
            #expect(seen.map(\.key) == ["/w/a", "/w/b", "/w/a", "/w/c"])
            #expect(seen.map(\.value) == [bytes("1"), bytes("2"), [], bytes("3")])
            #expect(seen[0].modRevision == start && seen[1].modRevision == second)
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.modRevision < $1.modRevision })
        }
    }

    @Test func cancellingTheWatchingTaskEndsTheStreamCleanly() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let watcher = Task {
                var count = 0
                for try await _ in etcd.watch(prefix: "/c/") {
                    count += 1
                    startedContinuation.yield()
                }
                return count
            }
            // The watch is open once it delivers an event: write until it does.
            let writer = Task {
                for index in 0..<100 {
                    try await etcd.put(key: "/c/\(index)", value: [1])
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            for await _ in started { break }
            writer.cancel()
            #expect(try await server.openWatches() == 1)
            watcher.cancel()
            let count = try await watcher.value
            #expect(count >= 1)
            // Cancelling closed the HTTP stream, so etcd dropped the watch (it notices the closed
            // connection on its own schedule: poll).
            var open = try await server.openWatches()
            for _ in 0..<100 where open != 0 {
                try await Task.sleep(for: .milliseconds(100))
                open = try await server.openWatches()
            }
            #expect(open == 0, "etcd still serves the cancelled watch")
        }
    }

    @Test func manyOpenWatchesLeaveRoomForCalls() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            // More watches than AsyncHTTPClient's default of 8 connections per host, each holding one.
            let watchers = 12
            let (opened, openedContinuation) = AsyncStream.makeStream(of: Void.self)
            try await withThrowingTaskGroup(of: EtcdWatchEvent?.self) { group in
                for _ in 0..<watchers {
                    group.addTask {
                        var announced = false
                        for try await event in etcd.watch(prefix: "/many/") {
                            guard event.key == "/many/ready" else { return event }
                            if !announced {
                                announced = true
                                openedContinuation.yield()
                            }
                        }
                        return nil
                    }
                }
                // A watch is open once it has seen a write: write until every one has said so
                // (or give up after a while, and fail below).
                let writer = Task {
                    defer { openedContinuation.finish() }
                    for _ in 0..<200 {
                        try await etcd.put(key: "/many/ready", value: [])
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                var ready = 0
                for await _ in opened {
                    ready += 1
                    if ready == watchers { break }
                }
                writer.cancel()
                try #require(ready == watchers, "only \(ready) of \(watchers) watches opened")
                let revision = try await etcd.put(key: "/many/last", value: bytes("seen by all"))
                var seen = 0
                for try await event in group {
                    #expect(event?.key == "/many/last" && event?.modRevision == revision)
                    seen += 1
                }
                #expect(seen == watchers)
            }
        }
    }

    @Test func aWatchWhoseServerStopsThrows() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            try await etcd.put(key: "/s/a", value: [1])
            do {
                for try await _ in etcd.watch(prefix: "/s/", fromRevision: 1) {
                    // The watch is open (it replayed the put): take its server away.
                    server.stop()
                }
                Issue.record("a watch whose server stopped ended without an error")
            } catch let error as ArborError {
                #expect(error.code == .ioFailure)
                #expect(error.message.hasPrefix("etcd at \(server.clientURL)"), "\(error)")
            }
        }
    }

    @Test func aCompactedRevisionIsReportedAsSuch() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let first = try await etcd.put(key: "/h/a", value: [1])
            try await etcd.put(key: "/h/a", value: [2])
            let last = try await etcd.put(key: "/h/a", value: [3])
            try await etcd.compact(revision: last)
            do {
                for try await _ in etcd.watch(prefix: "/h/", fromRevision: first) {}
                Issue.record("a watch from a compacted revision delivered no error")
            } catch let error as ArborError {
                #expect(error.message.contains("compacted"), "\(error)")
            }
        }
    }

    @Test func anUnreachableEndpointIsNamedAndTheNextOneIsUsed() async throws {
        try await EtcdServer.with { server in
            let deadPort = try EtcdServer.freeLoopbackPort()
            let dead = "http://127.0.0.1:\(deadPort)"
            let alone = try EtcdClient(endpoints: [dead])
            do {
                _ = try await alone.get("/x")
                Issue.record("a get from an endpoint no one listens on succeeded")
            } catch let error as ArborError {
                #expect(error.code == .ioFailure)
                #expect(error.message == "etcd at \(dead) refused the connection")
            }
            do {
                for try await _ in alone.watch(prefix: "/x") {}
                Issue.record("a watch on an endpoint no one listens on ended without an error")
            } catch let error as ArborError {
                #expect(error.message == "etcd at \(dead) refused the connection")
            }

            #expect(throws: ArborError(.invalidArgument, "")) { try EtcdClient(endpoints: []) }
            #expect(throws: ArborError(.invalidArgument, "")) { try EtcdClient(endpoints: ["127.0.0.1:2379"]) }

            let failingOver = try EtcdClient(endpoints: [dead, server.clientURL])
            let revision = try await failingOver.put(key: "/x", value: bytes("through the second endpoint"))
            #expect(try await failingOver.get("/x")?.modRevision == revision)
        }
    }
}
