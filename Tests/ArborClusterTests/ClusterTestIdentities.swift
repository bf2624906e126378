import ArborCore
import Foundation

/// A fresh cluster root and the nodes a test needs, each with its secret and certificate chain.
struct ClusterTestIdentities {
    let root = RootKey.generate()
    let rootCertificate: KeyCertificate
    let issuer: Issuer
    let validity: KeyCertificate.Validity

    init() throws {
        let now = Self.now()
        validity = try KeyCertificate.Validity(notBefore: now - 3_600, notAfter: now + 86_400)
        rootCertificate = try KeyCertificate.root(try root.node.keySet(), validity: validity)
        issuer = try Issuer(root: root, rootCertificate: rootCertificate)
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    var cluster: KeyID { rootCertificate.keyID }
    func anchor() throws -> TrustAnchor { try TrustAnchor(name: "test", rootCertificate: rootCertificate) }
    func ledger() throws -> ClusterLedger { ClusterLedger(root: try anchor()) }

    func node(_ path: String) throws -> (secret: NodeSecret, chain: CertificateChain) {
        try issuer.certify(try TreePath(parsing: path), usage: .all, validity: validity)
    }
}
