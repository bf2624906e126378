import ArborCluster
import ArborCore
import Foundation

/// The smallest feed of a node's peer trust from etcd, for the revocation test: read the
/// cluster's records, then watch them, apply each to a `ClusterLedger`, and hand the ledger's
/// revocations to the node's `PeerTrustState` (closing channels of peers revoked since).
/// The membership runtime (issue 11 point 2) replaces this with the node's own view.
enum LedgerWatchFeed {
    /// Runs until the calling task is cancelled. `ready` is called once the watch is placed.
    static func run(etcd: EtcdClient, anchor: TrustAnchor, trust: PeerTrustState, tls: PeerTLS, ready: @Sendable () -> Void) async throws {
        var ledger = ClusterLedger(root: anchor)
        let prefix = ClusterRecordKey.prefix(cluster: anchor.keyID)
        let current = try await etcd.range(prefix: prefix)
        for keyValue in current.keyValues {
            _ = try? ledger.apply(keyValue.value, storedAt: keyValue.key, at: Int64(Date().timeIntervalSince1970))
        }
        publish(ledger, trust: trust, tls: tls)
        let events = etcd.watch(prefix: prefix, fromRevision: current.revision + 1)
        ready()
        for try await event in events where event.kind == .put {
            let before = ledger.revocations
            // A record that does not verify changes nothing (the ledger says why; a node logs it).
            guard (try? ledger.apply(event.value, storedAt: event.key, at: Int64(Date().timeIntervalSince1970))) != nil else { continue }
            if ledger.revocations != before { publish(ledger, trust: trust, tls: tls) }
        }
    }

    private static func publish(_ ledger: ClusterLedger, trust: PeerTrustState, tls: PeerTLS) {
        trust.update(revocations: ledger.revocations)
        tls.revocationsChanged()
    }
}
