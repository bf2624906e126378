import ArborCluster
import ArborCore
import Foundation
import Synchronization
import Testing

/// Faults of the etcd cluster under load (issue 11, point 10): one of three members dies while
/// clients keep writing and reading, and no request fails beyond the retry window.
@Suite(.serialized)
struct EtcdFaultTests {
    /// The longest a request may take, retries included, before it counts as failed.
    static let window = Duration.seconds(10)

    @Test func killingTheLeaderOfThreeMembersFailsNoRequestBeyondTheRetryWindow() async throws {
        try await EtcdCluster.with { cluster in
            let leader = try await cluster.leader()
            // The leader first: the clients start on the member that is about to die.
            let endpoints = [cluster.clientURLs[leader]] + cluster.clientURLs.indices.filter { $0 != leader }.map { cluster.clientURLs[$0] }
            let etcd = try EtcdClient(endpoints: endpoints, requestTimeout: .seconds(3))
            let streams = 4
            let requestsPerStream = 120
            let progress = FaultProgress()

            async let streamsDone: Void = withThrowingTaskGroup(of: Void.self) { group in
                for stream in 0..<streams {
                    group.addTask { try await Self.requests(stream: stream, count: requestsPerStream, etcd: etcd, progress: progress) }
                }
                try await group.waitForAll()
            }
            // Mid-stream: once a quarter of the requests are done.
            while progress.completed.load(ordering: .relaxed) < streams * requestsPerStream / 4 {
                try await Task.sleep(for: .milliseconds(5))
            }
            cluster.kill(leader)
            try await streamsDone

            #expect(progress.completed.load(ordering: .relaxed) == streams * requestsPerStream)
            let all = try await etcd.retrying { try await $0.range(prefix: "/fault/") }
            #expect(all.keyValues.count == streams * requestsPerStream, "every write is there exactly once")
            let newLeader = try await cluster.leader()
            #expect(newLeader != leader)
            print(
                "etcd fault test: \(streams * requestsPerStream) requests, leader member-\(leader) killed mid-stream, "
                    + "member-\(newLeader) leads now, slowest request \(progress.slowest.withLock { $0 }) (window \(Self.window))")
        }
    }

    /// One client's stream: each request writes a key of its own and reads it back, both retried
    /// within the window.
    static func requests(stream: Int, count: Int, etcd: EtcdClient, progress: FaultProgress) async throws {
        for request in 0..<count {
            let key = "/fault/\(stream)/\(request)"
            let value = Array("stream \(stream) request \(request)".utf8)
            let started = ContinuousClock.now
            try await etcd.retrying(within: window) { etcd in try await createIfAbsent(key, value, etcd) }
            let read = try await etcd.retrying(within: window) { try await $0.get(key) }
            #expect(read?.value == value, "\(key) reads back what was written")
            let took = ContinuousClock.now - started
            progress.slowest.withLock { $0 = max($0, took) }
            progress.completed.add(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Writes `key` if it is absent; a second run (a retry of a request etcd had already applied)
    /// finds its own value and succeeds, so the call is safe to retry.
    static func createIfAbsent(_ key: String, _ value: [UInt8], _ etcd: EtcdClient) async throws {
        let result = try await etcd.transaction(
            compare: [.createRevision(of: key, .equal, 0)],
            success: [.put(key: key, value: value)]
        )
        guard !result.succeeded else { return }
        let existing = try await etcd.get(key)
        guard existing?.value == value else { throw ArborError(.conflict, "\(key) holds another value") }
    }
}

final class FaultProgress: Sendable {
    let completed = Atomic<Int>(0)
    let slowest = Mutex(Duration.zero)
}
