import ArborCore
import ArborOperations
import ServiceLifecycle

/// Hands the revocations the node's cluster membership applies to its peer channels: the next
/// handshake of a revoked peer is refused, and its open channels are closed
/// (docs/cluster.md, "Channels between nodes").
public struct PeerRevocationFeed: Service {
    let membership: ClusterMembership
    let trust: PeerTrustState
    let tls: PeerTLS

    public init(membership: ClusterMembership, trust: PeerTrustState, tls: PeerTLS) {
        self.membership = membership
        self.trust = trust
        self.tls = tls
    }

    public func run() async throws {
        var held = membership.currentView.revocations
        publish(held)
        for await view in membership.changes().cancelOnGracefulShutdown() where view.revocations != held {
            held = view.revocations
            publish(held)
        }
    }

    private func publish(_ revocations: RevocationList) {
        trust.update(revocations: revocations)
        tls.revocationsChanged()
    }
}
