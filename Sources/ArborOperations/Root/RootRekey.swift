import ArborCore

/// A root rekey: a new root key, its self-signed certificate, and the transition both roots sign
/// (docs/keys.md §20). The old root is needed once, here; afterwards it can be destroyed.
public struct RootRekey: Sendable {
    public let root: RootKey
    public let certificate: KeyCertificate
    public let transition: RootTransition

    public init(from oldRoot: RootKey, certificate oldCertificate: KeyCertificate, validity: KeyCertificate.Validity, at time: Int64) throws
    {
        let oldKeys = try oldRoot.node.keySet()
        guard oldKeys.keyID == oldCertificate.keyID else {
            throw ArborError(
                .invalidArgument, "the root certificate is not the certificate of this root key; pass the root's own certificate")
        }
        root = RootKey.generate()
        let newKeys = try root.node.keySet()
        certificate = try KeyCertificate.root(newKeys, validity: validity)
        transition = try RootTransition.make(from: oldKeys, certificate: oldCertificate, to: newKeys, certificate: certificate, at: time)
    }
}
