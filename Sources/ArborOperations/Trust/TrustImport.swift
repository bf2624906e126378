import ArborCore

/// Trusting another cluster's root, over a ``WritableTrustStore``: the rules that keep one name
/// per root and never let an import lift a revocation.
public struct TrustImport<Store: WritableTrustStore> {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// Adds a bundle whose safety number the caller has confirmed, under the cluster name the
    /// importer chose (the name inside a bundle is only a suggestion: the safety number covers
    /// the root keys, not the name).
    ///
    /// Re-importing a trusted root refreshes its revocations, which merge as a set: an import never
    /// drops a revocation, so an older bundle of the same cluster cannot lift one. A root already
    /// trusted under another name keeps it unless `rename` is set, and two roots never share a name.
    public func add(_ bundle: TrustBundle, name: String? = nil, rename: Bool = false) throws -> TrustImportSummary {
        let localName = name ?? bundle.clusterName
        let existing = try store.bundles()
        if let other = existing.first(where: { $0.clusterName == localName && $0.anchor.keyID != bundle.anchor.keyID }) {
            throw ArborError(
                .conflict,
                "the trust store already trusts another root (\(other.anchor.keyID.shortHex)) as '\(localName)'; choose another name with --name"
            )
        }
        let previous = existing.first { $0.anchor.keyID == bundle.anchor.keyID }
        if let previous, previous.clusterName != localName, !rename {
            throw ArborError(
                .conflict,
                "this root is already trusted as '\(previous.clusterName)', and the bundle calls it '\(localName)'; import it with --name '\(previous.clusterName)' to refresh it, or pass --rename to rename it"
            )
        }
        let held = previous?.revocations ?? RevocationList()
        let merged = held.merging(bundle.revocations)
        try store.save(try TrustBundle(clusterName: localName, chain: bundle.chain, revocations: merged))
        return TrustImportSummary(
            cluster: localName, rootKeyID: bundle.anchor.keyID.hex, newCluster: previous == nil,
            addedRevocations: merged.revocations.count - held.revocations.count, revocations: merged.revocations.count,
            store: store.location)
    }
}

extension TrustBundle {
    /// Refuses a bundle whose safety number is not the one the importer typed (digits or words):
    /// the check that comes before `TrustImport.add` when no one confirms it in person.
    /// A typo that leaves no safety number at all (wrong length, not digits or list words) is bad
    /// input, told apart from a real mismatch, which warns that the bundle may not be theirs.
    public func checkSafetyNumber(typed: String) throws {
        if let problem = SafetyNumber.shapeProblem(typed) {
            throw ArborError(
                .invalidArgument,
                "that is not a safety number (\(problem)): one is 60 digits in 12 groups of five or 12 words, as 'arbor fingerprint' shows it; check what you typed"
            )
        }
        guard safetyNumber.matches(typed) else {
            throw ArborError(
                .fingerprintMismatch,
                "the bundle's safety number does not match the one given; do not import it, and ask the other cluster's operator for the bundle again in person"
            )
        }
    }
}
