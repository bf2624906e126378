import ArborCore

/// The nodes whose origin signatures a caller accepts on mesh tokens: each signer's chain verified
/// against the trust selection and allowed to sign.
public struct OriginSigners {
    /// A signer whose chain verified.
    public struct Accepted: Sendable {
        public let path: TreePath
        public let cluster: String
        public let rootKeyID: KeyID
    }

    /// The policy and the signers it accepts. No chains: any holder of the keyring (`.anyHolder`).
    /// Otherwise a signature is required: hybrid, or also Ed25519 alone with `acceptEd25519`.
    public static func policy(
        chains: [(name: String, chain: CertificateChain)], verifier: @autoclosure () throws -> ChainVerifier, at time: Int64,
        acceptEd25519: Bool
    ) throws -> (policy: MeshKeyring.OriginPolicy, accepted: [Accepted]) {
        guard !chains.isEmpty else { return (.anyHolder, []) }
        let verifier = try verifier()
        var trusted: [TreePath: PublicKeySet] = [:]
        var accepted = [Accepted]()
        for (name, chain) in chains {
            let verified = try verifier.verify(chain, at: time)
            guard verified.leaf.usage.contains(.sign) else {
                throw ArborError(
                    .usageNotAllowed, "\(verified.leaf.path) (\(name)) may not sign: its certificate lacks the sign usage")
            }
            trusted[verified.leaf.path] = verified.leaf.publicKeys
            accepted.append(Accepted(path: verified.leaf.path, cluster: verified.cluster, rootKeyID: verified.anchor.keyID))
        }
        return (.requireSignature(minimum: acceptEd25519 ? .ed25519 : .hybrid) { [trusted] in trusted[$0] }, accepted)
    }
}
