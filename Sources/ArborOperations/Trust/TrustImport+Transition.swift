import ArborCore

extension TrustImport {
    /// Follows a trusted cluster's root rekey: the transition must start at a root this store
    /// trusts and be signed by both roots; the caller has confirmed the new root's safety number
    /// in person, as for a first import, since whoever holds the old root key could have signed a
    /// hand-over to a key of their own. The new root takes the old one's name and revocations, and
    /// the old root is no longer trusted (a rekey is often made because the old key is in doubt).
    public func follow(_ transition: RootTransition) throws -> TrustTransitionSummary {
        let (held, next) = try verify(transition)
        if let other = try store.bundles().first(where: { $0.anchor.keyID == next.keyID }) {
            throw ArborError(.conflict, "the new root \(next.keyID.shortHex) is already trusted as '\(other.clusterName)'")
        }
        // The new entry first: a failure in between leaves both roots trusted, never neither.
        try store.save(
            try TrustBundle(clusterName: held.clusterName, chain: CertificateChain([next.rootCertificate]), revocations: held.revocations))
        try store.remove(root: held.anchor.keyID)
        return TrustTransitionSummary(
            cluster: held.clusterName, oldRootKeyID: held.anchor.keyID.hex, rootKeyID: next.keyID.hex,
            safetyNumber: SafetyNumberSummary(next.safetyNumber), store: store.location)
    }
}

extension TrustImport {
    /// The trusted cluster a transition starts from, and the anchor it hands over to: checked
    /// before anyone is asked to compare the new safety number, so a forged transition never
    /// reaches that question.
    public func verify(_ transition: RootTransition) throws -> (held: TrustBundle, next: TrustAnchor) {
        guard let held = try store.bundles().first(where: { $0.anchor.keyID == transition.oldRoot.keyID }) else {
            throw ArborError(
                .untrustedRoot,
                "this transition hands over from root \(transition.oldRoot.keyID.shortHex), which the trust store (\(store.location)) does not trust; import that cluster first"
            )
        }
        return (held, try transition.verify(from: held.anchor))
    }
}

extension RootTransition {
    /// Refuses a transition whose new root's safety number is not the one typed: the same check
    /// as a trust bundle's (`TrustBundle.checkSafetyNumber`), made on the root being handed over to.
    public func checkNewSafetyNumber(typed: String) throws {
        try TrustBundle(clusterName: "new root", chain: CertificateChain([newRoot])).checkSafetyNumber(typed: typed)
    }
}
