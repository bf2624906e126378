import ArborCore

/// A parent-ordered rekey: an ancestor moves a node to its next branch (eu/node-7 → eu/node-7#1)
/// and, given the old key's certificate, revokes it in the same step.
public enum ParentOrderedRekey {
    /// The moved node's new key and chain, and the revocation of `old` when it is given. `old` must
    /// be the certificate of the node being moved: revoking another node's key here would be a mistake
    /// nobody notices until that node stops verifying.
    public static func move(
        _ current: TreePath, by issuer: Issuer, usage: KeyUsage, validity: KeyCertificate.Validity,
        revoking old: KeyCertificate?, reason: Revocation.Reason, time: Int64
    ) throws -> (secret: NodeSecret, chain: CertificateChain, revocation: Revocation?) {
        let moved = try issuer.rekeyToNewBranch(current, usage: usage, validity: validity)
        guard let old else { return (moved.secret, moved.chain, nil) }
        guard old.path == current else {
            throw ArborError(.invalidArgument, "--old-chain is the chain of \(old.path), not of \(current), the node being moved")
        }
        return (moved.secret, moved.chain, try issuer.revoke(old.keyID, at: old.path, reason: reason, time: time))
    }
}
