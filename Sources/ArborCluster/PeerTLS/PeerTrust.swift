import ArborCore
import Synchronization

/// What a node trusts on its channels: its cluster's root certificate, and the revocations it
/// holds now. Only nodes of this cluster are peers (a trusted partner cluster is not).
public struct PeerTrust: Sendable {
    public let anchor: TrustAnchor
    public let revocations: RevocationList

    public init(anchor: TrustAnchor, revocations: RevocationList = RevocationList()) {
        self.anchor = anchor
        self.revocations = revocations
    }
}

/// Where the channels read the trust at each handshake: the cluster's view of revocations (the
/// etcd watch feeds it), so a revocation applied there refuses the next handshake.
public protocol PeerTrustProvider: Sendable {
    func currentTrust() -> PeerTrust
}

/// A provider held in memory, updated by whoever applies the cluster's records.
public final class PeerTrustState: PeerTrustProvider {
    private let trust: Mutex<PeerTrust>

    public init(_ trust: PeerTrust) {
        self.trust = Mutex(trust)
    }

    public func currentTrust() -> PeerTrust { trust.withLock { $0 } }

    /// Replaces the revocations (a set that only grows in practice: the ledger never lifts one).
    public func update(revocations: RevocationList) {
        trust.withLock { $0 = PeerTrust(anchor: $0.anchor, revocations: revocations) }
    }
}
