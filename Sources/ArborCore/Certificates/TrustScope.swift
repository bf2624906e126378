/// What a caller expects a chain to be: from which cluster, and where in its tree.
///
/// Trusting a partner cluster's root must not let that cluster speak for paths of ours: a caller
/// that knows which cluster (and which part of it) should answer pins it here, and a chain from
/// anywhere else fails with `wrong cluster` even though it verifies.
public struct TrustScope: Sendable, Equatable {
    /// Only chains that start at this root key.
    public var clusterRoot: KeyID?
    /// Only chains whose last certificate is at this path or below it.
    public var pathPrefix: TreePath?

    public init(clusterRoot: KeyID? = nil, pathPrefix: TreePath? = nil) {
        self.clusterRoot = clusterRoot
        self.pathPrefix = pathPrefix
    }

    /// Any trusted cluster, any path.
    public static let any = TrustScope()

    func check(_ leaf: KeyCertificate, anchor: TrustAnchor) throws {
        if let clusterRoot, anchor.keyID != clusterRoot {
            throw ArborError(
                .wrongCluster,
                "the chain is from cluster '\(anchor.name)' (root \(anchor.keyID.shortHex)), not from the cluster expected (root \(clusterRoot.shortHex))"
            )
        }
        if let pathPrefix, pathPrefix != leaf.path, !pathPrefix.isStrictAncestor(of: leaf.path) {
            throw ArborError(.wrongCluster, "the chain is for \(leaf.path), which is not at or below the expected \(pathPrefix)")
        }
    }
}
