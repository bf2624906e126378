/// A lease granted by etcd: keys attached to it are deleted when it is revoked, or when it is not
/// kept alive for `ttlSeconds`.
public struct EtcdLease: Sendable, Hashable {
    public let id: Int64
    /// The time to live etcd granted or, after a keep-alive, renewed to; 0 after a keep-alive
    /// means the lease had already expired (its keys are gone).
    public let ttlSeconds: Int64
}
