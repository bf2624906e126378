/// One key as stored in etcd, with the revisions etcd keeps for it.
public struct EtcdKeyValue: Sendable, Hashable {
    public let key: String
    public let value: [UInt8]
    /// The cluster revision at which the key was created (since it last did not exist).
    public let createRevision: Int64
    /// The cluster revision of the key's last change: what a compare-and-swap compares.
    public let modRevision: Int64
    /// How many times the key was written since it was created (1 after the first put).
    public let version: Int64
    /// The lease the key is attached to, 0 if none.
    public let lease: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64, lease: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }
}

/// The keys a range read found, and the cluster revision the read saw: a watch from the revision
/// after it misses nothing and repeats nothing.
public struct EtcdRange: Sendable, Hashable {
    public let revision: Int64
    public let keyValues: [EtcdKeyValue]
}
