import ArborCore

/// A fresh root for the trust tests: its certificate, an issuer, its bundle and node chains.
struct TestCluster {
    static let now: Int64 = 1_795_000_000
    static let validity = try! KeyCertificate.Validity(notBefore: now - 86_400, notAfter: now + 86_400)

    let root = RootKey.generate()
    let certificate: KeyCertificate
    let issuer: Issuer

    init() throws {
        certificate = try KeyCertificate.root(try root.node.keySet(), validity: Self.validity)
        issuer = try Issuer(root: root, rootCertificate: certificate)
    }

    /// The cluster's trust bundle under `name`, revoking (as compromised) the nodes at `paths`.
    func bundle(_ name: String, revoking paths: [String] = []) throws -> TrustBundle {
        guard !paths.isEmpty else { return try TrustBundle(clusterName: name, chain: CertificateChain([certificate])) }
        let revocations = try paths.map { path in
            let leaf = try chain(path).leaf
            return try issuer.revoke(leaf.keyID, at: leaf.path, reason: .keyCompromise, time: Self.now)
        }
        return try TrustBundle(clusterName: name, chain: CertificateChain([certificate]), revocations: RevocationList(revocations))
    }

    /// A certificate chain for a node at `path`.
    func chain(_ path: String, usage: KeyUsage = .all) throws -> CertificateChain {
        try issuer.certify(TreePath(parsing: path), usage: usage, validity: Self.validity).chain
    }
}
