import ArborCore
import ArborSeal

/// Rekey over the cluster (docs/cluster.md, "Rekey over the cluster"): an ancestor writes a signed
/// instruction that moves a member to its next branch; the member opens the new key sealed to its
/// current one, installs it and announces itself under the new path; once the grace period is over
/// it publishes the old key's revocation, which came signed with the instruction.
public enum ClusterRekeys {
    /// What an ancestor writes: the instruction for the member at `path` (live, or departed and
    /// moved when it returns), the new key's id and path.
    /// - Parameters:
    ///   - grace: seconds during which peers still accept the old key.
    ///   - reason: the old key's revocation: `superseded` revokes that key alone; `keyCompromise`
    ///     every epoch of the old branch.
    /// - Parameter current: the member's chain, for a member that is offline and whose record
    ///   went with its lease; otherwise its member record (live, or departed while `ledger`'s
    ///   reader watched) names the key the new one is sealed to. It moves when it comes back.
    ///   - usage: the new key's usage; nil keeps the usage of the member's current certificate.
    public static func order(
        _ path: TreePath, by issuer: Issuer, usage: KeyUsage? = nil, validity: KeyCertificate.Validity, grace: Int64,
        reason: Revocation.Reason, current: CertificateChain? = nil, after ledger: ClusterLedger, at time: Int64
    ) throws -> (write: ClusterWrite, newKeyID: KeyID, newPath: TreePath) {
        guard issuer.chain.leaf.path.isStrictAncestor(of: path) else {
            throw ArborError(.notAuthorised, "\(issuer.chain.leaf.path) may not order a rekey of \(path): only an ancestor of it may")
        }
        let record = ledger.applied[.member(path, cluster: ledger.cluster)].flatMap { $0.value.isEmpty ? nil : $0 }
        guard let chain = try ledger.members[path]?.chain ?? record.map({ try ClusterMember(encoded: $0.value).chain }) ?? current
        else {
            throw ArborError(
                .fileNotFound,
                "\(path) is not a live member of the cluster, so no record names its key: pass its current chain with --old-chain")
        }
        guard chain.leaf.path == path else {
            throw ArborError(.invalidArgument, "the chain given ends at \(chain.leaf.path), not at \(path), the member to move")
        }
        guard grace >= 0, grace <= 30 * 86_400 else {
            throw ArborError(.invalidArgument, "the grace period is 0 to 2592000 seconds (30 days)")
        }
        let verifier = ChainVerifier(
            anchors: [ledger.root], revocations: ledger.revocations, scope: TrustScope(clusterRoot: ledger.cluster))
        let (recipient, _) = try NodeRecipient.of(chain, named: "the current chain of \(path)", verifier: verifier, at: time)
        let moved = try issuer.rekeyToNewBranch(path, usage: usage ?? chain.leaf.usage, validity: validity)
        var plaintext = NodeKeyFile.encode(moved.secret).withUnsafeBytes { Array($0) }
        defer { plaintext.wipe() }
        let sealed = try Age.encrypt(plaintext, to: [recipient])
        let old = chain.leaf
        let revocation = try issuer.revoke(old.keyID, at: path, reason: reason, time: time)
        let revocationKey = ClusterRecordKey.revocation(revocation, cluster: ledger.cluster)
        let revocationRecord = try ClusterRecord(
            key: revocationKey, sequence: (ledger.sequences[revocationKey] ?? 0) + 1, value: revocation.encoded, signer: issuer.keys,
            chain: issuer.chain)
        let instruction = try RekeyInstruction(
            fromKeyID: old.keyID, revokeAfter: time + grace, chain: moved.chain, sealedKey: sealed,
            revocationRecord: revocationRecord.encoded)
        let write = try ClusterWrites.write(
            .rekey(path, cluster: ledger.cluster), instruction.encoded, keys: issuer.keys, chain: issuer.chain, ledger, time)
        return (write, moved.chain.leaf.keyID, moved.chain.leaf.path)
    }

    /// After a root rekey (`RootRekey`): the transition record, then one instruction per member
    /// (live, or departed and moved when it returns; revoked ones are left behind), each issuing the
    /// member's path again under the new root with the usage it had, sealed to its current key and
    /// signed by the old root. Paths that are not members (offline issuers such as `eu`) are derived
    /// again from the new root by their operators.
    public static func reissue(
        by oldRoot: Issuer, under newRoot: Issuer, transition: RootTransition, validity: KeyCertificate.Validity,
        after ledger: ClusterLedger, at time: Int64
    ) throws -> Reissue {
        guard oldRoot.chain.leaf.path.isRoot, newRoot.chain.leaf.path.isRoot, newRoot.keys.keyID == transition.newRoot.keyID else {
            throw ArborError(.invalidArgument, "a reissue needs the old root, and the new root the transition hands over to")
        }
        _ = try transition.verify(from: ledger.root)
        var trial = ledger
        let announced = try ClusterWrites.write(
            .transition(cluster: ledger.cluster), transition.encoded, keys: oldRoot.keys, chain: oldRoot.chain, trial, time)
        try trial.apply(announced.value, storedAt: announced.key, at: time)
        let verifier = ChainVerifier(
            anchors: [ledger.root], revocations: ledger.revocations, scope: TrustScope(clusterRoot: ledger.cluster))
        var instructions: [(path: TreePath, write: ClusterWrite)] = []
        var skipped: [(path: TreePath, reason: String)] = []
        // A key an instruction moves away from is on its way out: never seal a new root's key to it.
        let leaving = Set(ledger.rekeys.values.map(\.fromKeyID))
        for member in try knownMembers(in: ledger) {
            // A move not yet carried out: the member has not announced its new key.
            if let pending = ledger.rekeys[member.path], pending.kind == .branch, pending.fromKeyID == member.chain.leaf.keyID,
                ledger.members[pending.chain.leaf.path]?.chain.leaf.keyID != pending.chain.leaf.keyID
            {
                throw ArborError(
                    .conflict,
                    "\(member.path) has a move to \(pending.chain.leaf.path) pending (\(ClusterRecordKey.rekey(member.path, cluster: ledger.cluster).text)); reissue once it has moved, so that no key under the new root is sealed to the key it leaves"
                )
            }
            guard !leaving.contains(member.chain.leaf.keyID) else {
                skipped.append((member.path, "its key is one a rekey moved it away from"))
                continue
            }
            let recipient: AgeRecipient
            let leaf: KeyCertificate
            do {
                let (found, verified) = try NodeRecipient.of(member.chain, named: "\(member.path)", verifier: verifier, at: time)
                (recipient, leaf) = (found, verified.leaf)
            } catch let error as ArborError {
                skipped.append((member.path, error.message))
                continue
            }
            let issued = try newRoot.certify(member.path, usage: leaf.usage, validity: validity)
            var plaintext = NodeKeyFile.encode(issued.secret).withUnsafeBytes { Array($0) }
            defer { plaintext.wipe() }
            let instruction = try RekeyInstruction(
                kind: .root, fromKeyID: leaf.keyID, revokeAfter: time, chain: issued.chain,
                sealedKey: try Age.encrypt(plaintext, to: [recipient]), transition: transition.encoded)
            let write = try ClusterWrites.write(
                .rekey(member.path, cluster: ledger.cluster), instruction.encoded, keys: oldRoot.keys, chain: oldRoot.chain, trial, time)
            instructions.append((member.path, write))
        }
        return Reissue(transition: announced, instructions: instructions, skipped: skipped)
    }

    /// After a root rekey, the keyrings this node owns get an epoch under the new tree: each one
    /// whose active epoch does not come from the node's branch secret moves to the next epoch,
    /// derived from it. Earlier epochs stay, to open what they sealed until it is rewrapped
    /// (`arbor keyring rewrap`) and they are retired. Checked at every start, so a crash between
    /// the move and the rotation is caught up; keyrings of other owners are theirs to rotate.
    public static func rotateKeyringsIntoTree(_ names: [String], owner: NodeSecret, in store: some KeyringStore) throws -> [MeshKeyring] {
        try names.compactMap { name in
            let held = try store.load(name)
            guard held.owner == owner.path, !held.activeEpochIsDerived(from: owner) else { return nil }
            return try store.update(name) { keyring in
                guard !keyring.activeEpochIsDerived(from: owner) else { return false }
                try keyring.rotate(owner: owner)
                return true
            }
        }
    }

    /// The keys an order sealed to `keyID` hands out (the new key of an instruction that moves
    /// away from it): whoever holds a stolen `keyID` can open those orders from etcd, so a
    /// compromise of `keyID` exposes them too.
    public static func keysExposed(byCompromiseOf keyID: KeyID, in ledger: ClusterLedger) -> [KeyCertificate] {
        ledger.rekeys.values.filter { $0.fromKeyID == keyID }.map(\.chain.leaf).sorted { $0.path.description < $1.path.description }
    }

    /// What a reissue writes: the transition record, one instruction per member issued again, and
    /// the members left behind with the reason.
    public struct Reissue {
        public let transition: ClusterWrite
        public let instructions: [(path: TreePath, write: ClusterWrite)]
        public let skipped: [(path: TreePath, reason: String)]
    }

    /// Every member the ledger knows, live or departed (not those removed by a signed removal).
    static func knownMembers(in ledger: ClusterLedger) throws -> [ClusterMember] {
        try ledger.applied.compactMap { key, record -> ClusterMember? in
            guard key.kind == .member, !record.value.isEmpty else { return nil }
            return try ClusterMember(encoded: record.value)
        }.sorted { $0.path.description < $1.path.description }
    }

    /// The instruction the ledger holds for this node's current key, if any: a node that has moved
    /// holds another key, so an instruction it carried out is never carried out twice.
    ///
    /// The record is verified again at `time`, with the revocations held now: an instruction whose
    /// signer (or new chain) was revoked after it was applied is refused, not carried out.
    public static func pending(for secret: NodeSecret, in ledger: ClusterLedger, at time: Int64) throws -> RekeyInstruction? {
        guard let instruction = ledger.rekeys[secret.path], instruction.fromKeyID == (try secret.keySet()).keyID else { return nil }
        let key = ClusterRecordKey.rekey(secret.path, cluster: ledger.cluster)
        if let record = ledger.applied[key] {
            _ = try record.verify(storedAt: key.text, root: ledger.root, revocations: ledger.revocations, at: time)
        }
        return instruction
    }

    /// Opens the new key sealed to `secret`, the node's current key, and checks it is the key the
    /// (verified) instruction's chain certifies.
    public static func open(_ instruction: RekeyInstruction, with secret: NodeSecret) throws -> (
        secret: NodeSecret, chain: CertificateChain
    ) {
        let current = try secret.keySet()
        guard instruction.fromKeyID == current.keyID else {
            throw ArborError(.noMatchingKey, "the rekey instruction is for key \(instruction.fromKeyID.shortHex), not for this node's")
        }
        var plaintext = try Age.decrypt(instruction.sealedKey, identities: [.postQuantum(of: current)])
        let next = try NodeKeyFile.decode(SecretBytes(consuming: &plaintext))
        guard try next.keySet().keyID == instruction.chain.leaf.keyID, next.path == instruction.chain.leaf.path else {
            throw ArborError(.conflict, "the key sealed in the rekey instruction is not the key its chain certifies")
        }
        return (next, instruction.chain)
    }

    /// The revocation record of a key this node left, once its grace period is over and while no
    /// reader holds it yet: the moved node posts it (it came signed by the ancestor who ordered the
    /// move, so posting it needs no key). "Left" covers every branch of the node's label under its
    /// parent, so a node moved twice within one grace period (or that self-rekeyed since) still
    /// posts the first revocation.
    public static func dueRevocation(
        for keys: NodeKeySet, chain: CertificateChain, in ledger: ClusterLedger, at time: Int64
    ) throws -> ClusterWrite? {
        let lineage = { (path: TreePath) in path.parent == keys.path.parent && path.segments.last?.label == keys.path.segments.last?.label }
        for (path, instruction) in ledger.rekeys.sorted(by: { $0.key.description < $1.key.description })
        // Not one this node has yet to carry out: that would revoke the key it still uses.
        where lineage(path) && lineage(instruction.chain.leaf.path) && instruction.fromKeyID != keys.keyID
            && instruction.revokeAfter <= time
        {
            guard let record = try instruction.revocation, ledger.applied[record.key] == nil else { continue }
            let revocation = try Revocation(encoded: record.value)
            // Never one that covers a certificate of the node's own chain: an order for a key it
            // left by a self-rekey instead (a race) would otherwise revoke the node itself.
            guard !chain.certificates.contains(where: { revocation.covers($0) }) else { continue }
            return ClusterWrite(key: record.key.text, value: record.encoded)
        }
        return nil
    }
}
