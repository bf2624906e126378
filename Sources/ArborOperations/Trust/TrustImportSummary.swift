/// What `trust import` changed in the trust store.
public struct TrustImportSummary: Codable, Sendable, Equatable {
    /// Always true: a refused import is an error, not a result.
    public let imported: Bool
    /// The name the root is trusted under.
    public let cluster: String
    public let rootKeyID: String
    /// The root was not trusted before.
    public let newCluster: Bool
    /// Revocations the store did not hold before.
    public let addedRevocations: Int
    /// Revocations held in all, after the merge.
    public let revocations: Int
    /// Where the store is (`WritableTrustStore.location`).
    public let store: String

    public init(cluster: String, rootKeyID: String, newCluster: Bool, addedRevocations: Int, revocations: Int, store: String) {
        imported = true
        self.cluster = cluster
        self.rootKeyID = rootKeyID
        self.newCluster = newCluster
        self.addedRevocations = addedRevocations
        self.revocations = revocations
        self.store = store
    }
}
