/// What a node keeps of the cluster state across restarts: the ledger it applied
/// (`ClusterLedger.snapshot`), the last etcd revision it applied, and when it last heard from
/// etcd. A node cut off from etcd starts from here and keeps serving with what it holds.
public struct ClusterState: Sendable, Equatable {
    /// `ClusterLedger.snapshot`: every record applied, so a restart does not reopen the replay window.
    public var ledgerSnapshot: [UInt8]
    /// The etcd revision of the last change applied (0: none yet).
    public var revision: Int64
    /// Milliseconds since 1970 of the last successful exchange with etcd; nil if never.
    public var lastContact: Int64?

    public init(ledgerSnapshot: [UInt8], revision: Int64, lastContact: Int64?) {
        self.ledgerSnapshot = ledgerSnapshot
        self.revision = revision
        self.lastContact = lastContact
    }
}

/// Where a node keeps its `ClusterState`, one per cluster (the node's SQLite database on a server).
public protocol ClusterStateStore: Sendable {
    /// The state kept for the cluster whose root key id is `cluster` (64 hex digits), or nil.
    func load(cluster: String) throws -> ClusterState?
    /// Replaces the state kept for `cluster`; durable when this returns.
    func save(_ state: ClusterState, cluster: String) throws
}
