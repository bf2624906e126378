/// A node that certifies, revokes and rekeys below it: its secret with the chain that proves its
/// keys. The root is an issuer whose chain is its own root certificate.
public struct Issuer: Sendable {
    public let secret: NodeSecret
    public let chain: CertificateChain
    public let keys: NodeKeySet

    /// Checks that the chain ends with this node's current keys.
    public init(secret: NodeSecret, chain: CertificateChain) throws {
        let keys = try secret.keySet()
        guard chain.leaf.keyID == keys.keyID else {
            throw ArborError(
                .invalidArgument,
                "the chain ends with the key of \(chain.leaf.path) epoch \(chain.leaf.epoch), not with this node's key (\(secret.path) epoch \(secret.epoch)); pass the chain that belongs to this key file"
            )
        }
        guard chain.leaf.usage.contains(.certify) else {
            throw ArborError(.usageNotAllowed, "\(secret.path) may not certify: its certificate lacks the certify usage")
        }
        self.secret = secret
        self.chain = chain
        self.keys = keys
    }

    /// The root as issuer, with its self-signed certificate.
    public init(root: RootKey, rootCertificate: KeyCertificate) throws {
        try self.init(secret: root.node, chain: try CertificateChain([rootCertificate]))
    }

    /// Derives a descendant and certifies every level from this node down to it. Intermediate
    /// levels get every usage (at epoch 0); the target gets `usage`, at `epoch`.
    public func certify(
        _ target: TreePath,
        epoch: UInt32 = 0,
        usage: KeyUsage,
        validity: KeyCertificate.Validity
    ) throws -> (secret: NodeSecret, chain: CertificateChain) {
        let targetSecret = try secret.descendant(target).atEpoch(epoch)
        var chain = self.chain
        var parentKeys = keys
        for depth in (secret.path.depth + 1)...target.depth {
            let levelPath = try TreePath(segments: Array(target.segments.prefix(depth)))
            let levelKeys = try depth == target.depth ? targetSecret.keySet() : secret.descendant(levelPath).keySet()
            let levelUsage: KeyUsage = depth == target.depth ? usage : .all
            chain = try chain.appending(.issue(for: levelKeys, by: parentKeys, usage: levelUsage, validity: validity))
            parentKeys = levelKeys
        }
        return (targetSecret, chain)
    }

    /// Parent-ordered rekey: the node at `current` moves to the next branch, which only this
    /// issuer (an ancestor) can derive; the new key is certified like a first issue.
    public func rekeyToNewBranch(
        _ current: TreePath,
        usage: KeyUsage,
        validity: KeyCertificate.Validity
    ) throws -> (secret: NodeSecret, chain: CertificateChain) {
        guard let last = current.segments.last, last.branch < UInt32.max else {
            throw ArborError(.invalidPath, "\(current) has no next branch")
        }
        return try certify(try current.withLastBranch(last.branch + 1), usage: usage, validity: validity)
    }

    /// Revokes a descendant's key.
    public func revoke(_ keyID: KeyID, at path: TreePath, reason: Revocation.Reason, time: Int64) throws -> Revocation {
        try Revocation(revoking: keyID, at: path, by: keys, reason: reason, time: time)
    }
}
