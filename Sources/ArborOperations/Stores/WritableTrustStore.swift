import ArborCore

/// A trust store that keeps what it is given (`TrustStoreDirectory` in ArborKeyStore for files).
/// It moves bytes only: which bundle to keep, under which name, is `TrustImport`'s decision.
public protocol WritableTrustStore: TrustStore {
    /// Where the store is, for people: a directory, a database.
    var location: String { get }

    /// Keeps `bundle` as the entry of its root, replacing any earlier entry of that root.
    func save(_ bundle: TrustBundle) throws

    /// Forgets the entry of `root`, if there is one.
    func remove(root: KeyID) throws
}
