import ArborCore

/// What a verifier trusts and expects, as a caller chose it: explicit root certificates (only
/// those, when given) or else the trust store's clusters; extra revocation lists; and, pinned,
/// which cluster and which part of its tree a chain must come from.
public struct TrustSelection: Sendable {
    /// Root certificates trusted instead of the store's clusters, with the names they are shown by.
    public var anchors: [TrustAnchor]
    /// Revocation lists honoured besides those the store's bundles carry.
    public var revocations: RevocationList
    /// A cluster to pin: its name among the trusted roots, or its root key id (8 hex digits or more).
    public var cluster: String?
    /// A path a chain's leaf must be at or below.
    public var pathPrefix: TreePath?

    public init(
        anchors: [TrustAnchor] = [], revocations: RevocationList = RevocationList(), cluster: String? = nil, pathPrefix: TreePath? = nil
    ) {
        self.anchors = anchors
        self.revocations = revocations
        self.cluster = cluster
        self.pathPrefix = pathPrefix
    }

    /// The chain verifier for this selection over `store`.
    public func verifier(store: some TrustStore) throws -> ChainVerifier {
        let bundles = try store.bundles()
        let trusted = anchors.isEmpty ? bundles.map(\.anchor) : anchors
        // Honouring more revocations is always safe: each counts only when its revoker is in the chain.
        let lists = bundles.reduce(revocations) { $0.merging($1.revocations) }
        let scope = TrustScope(clusterRoot: try cluster.map { try Self.root(named: $0, among: trusted) }, pathPrefix: pathPrefix)
        return ChainVerifier(anchors: trusted, revocations: lists, scope: scope)
    }

    /// The root key of the trusted cluster `wanted` names: a name, or a unique key id prefix.
    public static func root(named wanted: String, among anchors: [TrustAnchor]) throws -> KeyID {
        if let byName = anchors.first(where: { $0.name == wanted }) { return byName.keyID }
        let prefix = wanted.lowercased()
        let byKey = prefix.count >= 8 && prefix.allSatisfy(\.isHexDigit) ? anchors.filter { $0.keyID.hex.hasPrefix(prefix) } : []
        guard byKey.count == 1 else {
            let known = anchors.map { "'\($0.name)' (\($0.keyID.shortHex))" }.joined(separator: ", ")
            throw ArborError(
                .untrustedRoot,
                byKey.isEmpty
                    ? "no trusted cluster is named '\(wanted)' or has a root key id starting with it; trusted: \(known.isEmpty ? "none" : known)"
                    : "'\(wanted)' matches several trusted roots; give more digits of the root key id")
        }
        return byKey[0].keyID
    }
}
