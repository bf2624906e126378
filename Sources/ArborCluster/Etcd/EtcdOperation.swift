/// One operation of a transaction's success or failure branch.
public enum EtcdOperation: Sendable, Hashable {
    /// Writes a key, attached to `lease` when it is not 0.
    case put(key: String, value: [UInt8], lease: Int64 = 0)
    case delete(key: String)
    case deletePrefix(String)
    case get(key: String)
    case range(prefix: String)
}
