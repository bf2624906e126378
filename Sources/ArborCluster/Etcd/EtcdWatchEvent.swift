/// One change a watch saw: a key written or deleted, at the cluster revision of the change.
public struct EtcdWatchEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case put
        case delete
    }

    public let kind: Kind
    public let key: String
    /// The value written; empty for a delete.
    public let value: [UInt8]
    public let modRevision: Int64
}
