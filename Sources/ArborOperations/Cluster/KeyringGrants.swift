import ArborCore
import ArborSeal

/// Handing a keyring's epoch seeds to another node through the cluster (docs/cluster.md,
/// "Grants"): the owner (or an ancestor) seals the keyring as an age file to the holder's node
/// X-Wing key, taken from the holder's verified member record, and signs it as a grant record;
/// the holder opens the grants addressed to it and merges them into its keyring store. Seeds
/// never cross the network in the clear, and etcd holds only what the holder alone can open.
public enum KeyringGrants {
    /// The grant record for `holder`, which must be a live member of the cluster as `ledger` holds
    /// it, whose certificate allows key agreement.
    public static func grant(
        _ keyring: MeshKeyring, to holder: TreePath, signer: NodeKeySet, chain: CertificateChain, after ledger: ClusterLedger,
        at time: Int64
    ) throws -> ClusterWrite {
        guard let member = ledger.members[holder] else {
            throw ArborError(
                .fileNotFound, "\(holder) is not a live member of the cluster: a grant is sealed to the key its member record publishes")
        }
        let verifier = ChainVerifier(
            anchors: [ledger.root], revocations: ledger.revocations, scope: TrustScope(clusterRoot: ledger.cluster))
        let (recipient, _) = try NodeRecipient.of(member.chain, named: "the member record of \(holder)", verifier: verifier, at: time)
        let key = try ClusterRecordKey.grant(owner: keyring.owner, name: keyring.name, holder: holder, cluster: ledger.cluster)
        var plaintext = MeshKeyringFile.encode(keyring).withUnsafeBytes { Array($0) }
        defer { plaintext.wipe() }
        let sealed = try Age.encrypt(plaintext, to: [recipient])
        return try ClusterWrites.write(key, sealed, keys: signer, chain: chain, ledger, time)
    }

    /// Opens a verified grant addressed to `holder`. The keyring must be the one the record's key
    /// names (`conflict` otherwise): the signature covers the key, not the sealed contents.
    public static func open(_ sealed: [UInt8], key: ClusterRecordKey, holder: NodeSecret) throws -> MeshKeyring {
        guard case .grant(let owner, let name, let grantee) = key.subject else {
            throw ArborError(.invalidArgument, "\(key.text) is not a grant")
        }
        guard grantee == holder.path else {
            throw ArborError(.noMatchingKey, "the grant \(key.text) is addressed to \(grantee), not to \(holder.path)")
        }
        let node = try holder.keySet()
        var plaintext = try Age.decrypt(sealed, identities: [.postQuantum(of: node)])
        let keyring = try MeshKeyringFile.decode(SecretBytes(consuming: &plaintext))
        guard keyring.owner == owner, keyring.name == name else {
            throw ArborError(.conflict, "the grant \(key.text) holds keyring '\(keyring.name)' of \(keyring.owner)")
        }
        return keyring
    }

    /// Adds the granted keyring to the holder's store: created when the store has none of its
    /// name, else merged (`MeshKeyring.merge`: never a lower epoch, never another seed for an epoch).
    @discardableResult
    public static func install(_ keyring: MeshKeyring, into store: some KeyringStore) throws -> MeshKeyring {
        let reference = keyring.name
        do {
            return try store.update(reference) { held in
                let before = (held.activeEpoch, held.minimumEpoch, held.heldEpochs)
                try held.merge(keyring)
                return before != (held.activeEpoch, held.minimumEpoch, held.heldEpochs)
            }
        } catch let error as ArborError where error.code == .fileNotFound {
            try store.create(keyring, at: reference)
            return keyring
        }
    }

    /// Applies a keyring record's epochs to the holder's copy: epochs below the published minimum
    /// are retired (their seeds dropped). The active epoch rises only with a grant (it needs the seed).
    public static func apply(_ metadata: KeyringMetadata, owner: TreePath, name: String, to store: some KeyringStore) throws {
        _ = try store.update(name) { held in
            guard held.owner == owner, held.name == name, metadata.minimumEpoch > held.minimumEpoch else { return false }
            try held.retire(below: min(metadata.minimumEpoch, held.activeEpoch))
            return true
        }
    }
}
