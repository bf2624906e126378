/// What one operation of a transaction's branch gave back, in the order of the operations.
public enum EtcdOperationResult: Sendable, Hashable {
    case put(revision: Int64)
    case delete(deleted: Int64)
    case range([EtcdKeyValue])
}

/// Whether a transaction's compares all held (so its success branch ran, else its failure branch),
/// the cluster revision after it, and the results of the branch that ran.
public struct EtcdTransactionResult: Sendable, Hashable {
    public let succeeded: Bool
    public let revision: Int64
    public let results: [EtcdOperationResult]
}
