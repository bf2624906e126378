import ArborCore
import ArborOperations
import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

/// `POST /v1/sys/rekey` through the real router: the node's next epoch handed to the command that
/// runs it, once; refused without `node.rekey`, while an order from the cluster is pending, and on
/// a node that cannot move while it runs.
@Suite("self-rekey route")
struct NodeRekeyRouteTests {
    /// A cluster view with a pending order or not, in place of the membership service.
    final class PendingOrder: ClusterViewSource {
        let pending: Bool
        init(_ pending: Bool) { self.pending = pending }
        var currentView: ClusterView { ClusterView(state: .synced) }
        var hasPendingRekey: Bool { pending }
    }

    @Test("the next epoch is handed over once, certified by the current key")
    func handedOverOnce() async throws {
        let replacement = NodeKeyReplacement()
        let node = try await TestNode(cluster: PendingOrder(false), keyReplacement: replacement)
        try await node.test { client in
            let denied = try await client.createToken(root: node.rootToken, #"{"policies":[{"operations":["random"]}]}"#)
            #expect(try await client.send(.post, "/v1/sys/rekey", token: denied.token).status == .forbidden)
            #expect(replacement.replacement == nil)

            let moved = try await client.send(.post, "/v1/sys/rekey", token: node.rootToken)
            #expect(moved.status == .accepted)
            let body = try moved.json()
            #expect(body["epoch"] as? Int == 1 && body["path"] as? String == NodeDataDirectory.developmentPath)
            let handed = try #require(replacement.replacement)
            #expect(handed.chain.leaf.keyID.hex == body["key_id"] as? String)
            #expect(handed.chain.leaf.kind == .selfRekey && handed.chain.certificates.dropLast().last?.keyID == node.directory.keys.keyID)
            // A second request while the first is being carried out.
            #expect(try await client.send(.post, "/v1/sys/rekey", token: node.rootToken).status == .conflict)
        }
    }

    @Test("refused while an order from the cluster is pending, and on a node that cannot move")
    func refusals() async throws {
        let pending = NodeKeyReplacement()
        let ordered = try await TestNode(cluster: PendingOrder(true), keyReplacement: pending)
        try await ordered.test { client in
            let status = try await client.send(.post, "/v1/sys/rekey", token: ordered.rootToken).status
            #expect(status == .conflict)
        }
        #expect(pending.replacement == nil)
        let fixed = try await TestNode()
        try await fixed.test { client in
            let status = try await client.send(.post, "/v1/sys/rekey", token: fixed.rootToken).status
            #expect(status == .serviceUnavailable)
        }
    }
}
