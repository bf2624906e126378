import ArborCore
import ArborSeal

/// Encrypting to a node by its certificate chain (`encrypt --to-node`): the chain must verify now
/// against the trusted roots and revocations, and its certificate must allow key agreement; then
/// the node's post-quantum key is the recipient.
public enum NodeRecipient {
    /// - Parameter name: how the chain is named in errors (its file).
    public static func of(
        _ chain: CertificateChain, named name: String, verifier: ChainVerifier, at time: Int64
    ) throws -> (recipient: AgeRecipient, verified: ChainVerifier.VerifiedChain) {
        let verified = try verifier.verify(chain, at: time)
        guard verified.leaf.usage.contains(.keyAgreement) else {
            throw ArborError(
                .usageNotAllowed, "\(name): the certificate of \(verified.leaf.path) does not allow key agreement (usage 'agree')")
        }
        return (.postQuantum(of: verified.leaf.publicKeys), verified)
    }
}
