/// What `trust follow` changed: the cluster now trusted under its new root.
public struct TrustTransitionSummary: Codable, Sendable, Equatable {
    public let cluster: String
    /// The root no longer trusted.
    public let oldRootKeyID: String
    public let rootKeyID: String
    public let safetyNumber: SafetyNumberSummary
    public let store: String

    public init(cluster: String, oldRootKeyID: String, rootKeyID: String, safetyNumber: SafetyNumberSummary, store: String) {
        self.cluster = cluster
        self.oldRootKeyID = oldRootKeyID
        self.rootKeyID = rootKeyID
        self.safetyNumber = safetyNumber
        self.store = store
    }
}
