/// Self-rekey: a node moves to its next epoch and certifies the new keys with its current ones.
/// Peers cannot predict the new keys (they lack the node's secret); the parent can derive them.
public enum SelfRekey {
    public static func advance(
        _ secret: NodeSecret,
        chain: CertificateChain,
        validity: KeyCertificate.Validity
    ) throws -> (secret: NodeSecret, chain: CertificateChain) {
        let current = try secret.keySet()
        guard chain.leaf.keyID == current.keyID else {
            throw ArborError(
                .invalidArgument, "the chain does not end with this node's current key; pass the chain that belongs to this key file")
        }
        guard secret.epoch < UInt32.max else { throw ArborError(.invalidRekey, "\(secret.path) has used every epoch") }
        let next = try secret.atEpoch(secret.epoch + 1)
        let certificate = try KeyCertificate.selfRekey(
            to: try next.keySet(), from: current, currentUsage: chain.leaf.usage, validity: validity
        )
        return (next, try chain.appending(certificate))
    }
}
