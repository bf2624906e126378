import ArborCore
import ArborOperations
import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

/// `GET /v1/sys/health` of a node in a cluster: the `cluster` object, through the real router.
@Suite("cluster health")
struct ClusterHealthTests {
    /// A cluster view the test sets, in place of the membership service.
    final class FixedView: ClusterViewSource {
        let view: Mutex<ClusterView>
        init(_ view: ClusterView) { self.view = Mutex(view) }
        var currentView: ClusterView { view.withLock { $0 } }
    }

    @Test("branches held: present only when the node takes part in branch assignment")
    func branches() async throws {
        var view = ClusterView(state: .synced, revision: 3, lastContact: 1_800_000_000_000)
        let without = try await TestNode(cluster: FixedView(view))
        try await without.test { client in
            let cluster = try #require(try await client.send(.get, "/v1/sys/health").json()["cluster"] as? [String: Any])
            #expect(cluster["branches"] == nil)
        }
        view.branches = ClusterView.Branches(held: 21, generation: 4)
        let with = try await TestNode(cluster: FixedView(view))
        try await with.test { client in
            let cluster = try #require(try await client.send(.get, "/v1/sys/health").json()["cluster"] as? [String: Any])
            let branches = try #require(cluster["branches"] as? [String: Any])
            #expect(branches["held"] as? Int == 21 && branches["generation"] as? Int == 4)
        }
    }

    @Test("a node without a cluster has no cluster object")
    func alone() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let body = try await client.send(.get, "/v1/sys/health").json()
            #expect(body["cluster"] == nil)
        }
    }

    @Test("synced, then cut off: state, last contact, staleness, revision and member count")
    func staleness() async throws {
        // The test node's clock reads 1_800_000_000 s.
        let contact: Int64 = 1_800_000_000_000 - 42_000
        let source = FixedView(ClusterView(state: .synced, revision: 17, lastContact: contact))
        let node = try await TestNode(cluster: source)
        try await node.test { client in
            let synced = try #require(try await client.send(.get, "/v1/sys/health").json()["cluster"] as? [String: Any])
            #expect(synced["state"] as? String == "synced")
            #expect(synced["stale_for_seconds"] as? Int == 0)
            #expect(synced["revision"] as? Int == 17)
            #expect(synced["members"] as? Int == 0)
            #expect((synced["last_sync"] as? NSNumber)?.int64Value == contact)

            source.view.withLock { $0.state = .stale }
            let health = try await client.send(.get, "/v1/sys/health")
            #expect(health.status == .ok)
            let stale = try #require(try health.json()["cluster"] as? [String: Any])
            #expect(stale["state"] as? String == "stale")
            #expect(stale["stale_for_seconds"] as? Int == 42)
        }
    }

    @Test("before any contact: connecting, with no last sync")
    func connecting() async throws {
        let node = try await TestNode(cluster: FixedView(ClusterView()))
        try await node.test { client in
            let cluster = try #require(try await client.send(.get, "/v1/sys/health").json()["cluster"] as? [String: Any])
            #expect(cluster["state"] as? String == "connecting")
            #expect(cluster["last_sync"] == nil)
            #expect(cluster["stale_for_seconds"] == nil)
        }
    }
}
