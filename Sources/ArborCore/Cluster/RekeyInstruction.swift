/// The value of a `rekey` record (docs/cluster.md, "Rekey over the cluster"): an ancestor orders
/// the node at a path off the key it holds and onto a new one, which the node installs without
/// any manual step.
///
/// The new key travels sealed (an age file) to the X-Wing key of the node's current key, so only
/// that node opens it; the new chain is public, so every reader checks it before the record is
/// applied. The old key's revocation comes signed already and waits for the grace period: the
/// moved node publishes it at `revokeAfter`, so peers keep accepting the old key until then.
public struct RekeyInstruction: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        /// A parent-ordered rekey: the node moves to a later branch of its label under the same parent.
        case branch = 1
        /// A root rekey: the node stays at its path and is issued again under the cluster's new root,
        /// which the transition (signed by both roots) hands over to.
        case root = 2
    }

    public static let maximumSealedSize = 1 << 20

    public let kind: Kind
    /// The key the node holds now: the instruction is for that key only, so a node that has moved
    /// (or restarts after moving) recognises it as done.
    public let fromKeyID: KeyID
    /// Unix seconds from which the old key's revocation is published.
    public let revokeAfter: Int64
    /// The certificate chain of the new key.
    public let chain: CertificateChain
    /// The new node key file (docs/keys.md §11), as an age v1 file to the X-Wing key of `fromKeyID`.
    public let sealedKey: [UInt8]
    /// A revocation record (docs/cluster.md §3, kind 2) of the old key, signed by the instruction's
    /// signer, or empty when the old key is left to expire; always empty for a root rekey.
    public let revocationRecord: [UInt8]
    /// The root transition (docs/keys.md §20) for a root rekey; empty for a branch move.
    public let transition: [UInt8]

    public init(
        kind: Kind = .branch, fromKeyID: KeyID, revokeAfter: Int64, chain: CertificateChain, sealedKey: [UInt8],
        revocationRecord: [UInt8] = [], transition: [UInt8] = []
    ) throws {
        guard !sealedKey.isEmpty, sealedKey.count <= Self.maximumSealedSize else {
            throw ArborError(.invalidArgument, "a rekey instruction carries a sealed key of 1 to \(Self.maximumSealedSize) bytes")
        }
        switch kind {
        case .branch:
            guard transition.isEmpty else { throw ArborError(.invalidArgument, "a branch move carries no root transition") }
        case .root:
            guard !transition.isEmpty, revocationRecord.isEmpty else {
                throw ArborError(.invalidArgument, "a root rekey carries the root transition and no revocation")
            }
        }
        self.kind = kind
        self.fromKeyID = fromKeyID
        self.revokeAfter = revokeAfter
        self.chain = chain
        self.sealedKey = sealedKey
        self.revocationRecord = revocationRecord
        self.transition = transition
    }

    /// The old key's revocation record, parsed (not verified: readers verify it when it is posted).
    public var revocation: ClusterRecord? {
        get throws { revocationRecord.isEmpty ? nil : try ClusterRecord(encoded: revocationRecord) }
    }

    /// u8 kind ‖ from key id (32) ‖ i64 revoke after ‖ chain (long) ‖ sealed key (long) ‖
    /// revocation record (long, possibly empty) ‖ transition (long, empty for a branch move).
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(kind.rawValue)
        writer.append(raw: fromKeyID.bytes)
        writer.append(revokeAfter)
        writer.append(long: chain.encoded)
        writer.append(long: sealedKey)
        writer.append(long: revocationRecord)
        writer.append(long: transition)
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a rekey instruction")
        guard let kind = Kind(rawValue: try reader.readUInt8()) else {
            throw ArborError.malformed("a rekey instruction has an unknown kind")
        }
        let from = try KeyID(bytes: try reader.read(count: KeyID.size))
        let revokeAfter = try reader.readInt64()
        let chain = try CertificateChain(encoded: try reader.readLongField(maximum: ClusterRecord.maximumChainSize))
        let sealed = try reader.readLongField(maximum: Self.maximumSealedSize)
        let revocation = try reader.readLongField(maximum: ClusterRecord.maximumValueSize)
        let transition = try reader.readLongField(maximum: 1 << 16)
        try reader.expectEnd()
        do {
            try self.init(
                kind: kind, fromKeyID: from, revokeAfter: revokeAfter, chain: chain, sealedKey: sealed, revocationRecord: revocation,
                transition: transition)
        } catch {
            throw ArborError.malformed("a rekey instruction has fields its kind does not allow")
        }
    }

    /// The rules a reader checks before applying the instruction for the node at `path`, signed by
    /// `signer`, one of its ancestors (checked by the caller). The instruction moves to another key.
    /// A branch move: the new chain verifies in this cluster and ends at a later branch of `path`
    /// under the same parent; the revocation, when there is one, is a revocation record of this
    /// cluster for exactly the key being left. A root rekey: the root signs; the transition hands
    /// this cluster's root over to a new one, under which the new chain verifies, at `path`.
    func check(for path: TreePath, signer: KeyCertificate, root: TrustAnchor, verifier: ChainVerifier, at time: Int64) throws {
        let leaf = chain.leaf
        guard leaf.keyID != fromKeyID else { throw ArborError(.invalidRekey, "a rekey of \(path) must move it to another key") }
        switch kind {
        case .branch:
            guard let current = path.segments.last, let moved = leaf.path.segments.last, leaf.path.parent == path.parent,
                moved.label == current.label, moved.branch > current.branch
            else {
                throw ArborError(
                    .invalidRekey, "a rekey of \(path) moves it to a later branch of the same label (\(path) -> …#N), not to \(leaf.path)")
            }
            _ = try verifier.verify(chain, at: time)
            try checkRevocation(for: path, root: root, revocations: verifier.revocations, at: time)
        case .root:
            guard signer.path.isRoot else {
                throw ArborError(.notAuthorised, "\(signer.path) may not order a root rekey of \(path): only the cluster root may")
            }
            guard leaf.path == path else {
                throw ArborError(.invalidRekey, "a root rekey of \(path) issues the same path again, not \(leaf.path)")
            }
            let next = try RootTransition(encoded: transition).verify(from: root)
            _ = try ChainVerifier(anchors: [next], scope: TrustScope(clusterRoot: next.keyID)).verify(chain, at: time)
        }
    }

    /// The carried revocation record is verified as a record now (its signer, chain and
    /// signature), so one that readers would refuse when it is posted never gets this far.
    private func checkRevocation(for path: TreePath, root: TrustAnchor, revocations: RevocationList, at time: Int64) throws {
        let cluster = root.keyID
        guard let record = try revocation else { return }
        guard record.key.cluster == cluster, case .revocation(let revoked) = try ClusterRecordContent(parsing: record),
            record.key == ClusterRecordKey.revocation(revoked, cluster: cluster)
        else {
            throw ArborError(.conflict, "the revocation a rekey of \(path) carries is not a revocation record of this cluster")
        }
        guard revoked.revokedPath == path, revoked.revokedKeyID == fromKeyID else {
            throw ArborError(
                .conflict, "the revocation a rekey of \(path) carries revokes \(revoked.revokedPath), not the key the node is leaving")
        }
        _ = try record.verify(storedAt: record.key.text, root: root, revocations: revocations, at: time)
    }
}
