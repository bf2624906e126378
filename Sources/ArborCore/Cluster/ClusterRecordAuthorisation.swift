/// Which signer the tree authorises for which record, and the value each kind must carry.
///
/// The signer has verified already: its chain leads to the cluster root and it is not revoked.
/// Here the rule is about *where* it stands (docs/cluster.md, "Who signs what"):
/// - a member record for P: P's parent or any strict ancestor holding `certify` (enrollment,
///   removal), or P itself for its own addresses, publishing only its own current key;
/// - a revocation: a strict ancestor of the revoked path holding `certify`;
/// - keyring metadata: the keyring's owner or a strict ancestor of it;
/// - a trust bundle: the root (no other usage names a cluster administrator);
/// - the branch assignment: any node of the cluster;
/// - a leaf range of a shared LMS key: any node of the cluster, reserving for itself.
/// - a node's prekeys: the node itself, with its current key (its chain verified, not revoked).
/// - a grant (a keyring's seeds sealed to one holder): the keyring's owner or a strict ancestor of it.
/// - a rekey instruction for P: a strict ancestor of P holding `certify`, moving P to a later
///   branch whose chain verifies here; for a root rekey, the root, with the transition.
/// - the root transition: the root, handing over from itself.
/// Every signer needs the `sign` usage.
enum ClusterRecordAuthorisation {
    static func check(
        _ record: ClusterRecord, signer: KeyCertificate, root: TrustAnchor, verifier: ChainVerifier, at time: Int64
    ) throws -> ClusterRecordContent {
        guard signer.usage.contains(.sign) else {
            throw ArborError(.usageNotAllowed, "\(signer.path) may not sign cluster records: its certificate lacks the sign usage")
        }
        let content = try ClusterRecordContent(parsing: record)
        switch (record.key.subject, content) {
        case (.member(let path), _):
            try member(path, content: content, record: record, signer: signer, verifier: verifier, at: time)
        case (.revocation(let id), .revocation(let revocation)):
            guard ClusterRecordKey.revocationID(revocation) == id else {
                throw ArborError(.conflict, "the revocation stored at \(record.key.text) is not the one its key names")
            }
            try requireAncestor(
                signer, of: revocation.revokedPath, record: record, allowed: "only an ancestor of \(revocation.revokedPath)")
        case (.keyring(let owner, _), _):
            guard signer.path == owner || signer.path.isStrictAncestor(of: owner) else {
                throw notAuthorised(signer, record, "only the keyring's owner \(owner) or an ancestor of it")
            }
        case (.trust(let name), .trust(let bundle)):
            guard signer.path.isRoot else { throw notAuthorised(signer, record, "only the cluster root") }
            guard bundle.clusterName == name else {
                throw ArborError(.conflict, "the trust bundle stored at \(record.key.text) is named '\(bundle.clusterName)'")
            }
        case (.assignments, .assignments):
            break  // Any node of the cluster (its chain verified already); the value's owners are checked as it parses.
        case (.leaves, .leaves(let range)):
            // Any node of the cluster reserves, but only for itself: the record says who holds the range.
            guard range.holder == signer.path else { throw notAuthorised(signer, record, "only \(range.holder) itself") }
        case (.prekeys(let path), .prekeys):
            // Only the node holds the secrets of its prekeys: no ancestor publishes them for it.
            guard signer.path == path else { throw notAuthorised(signer, record, "only \(path) itself") }
            guard signer.usage.contains(.keyAgreement) else {
                throw ArborError(.usageNotAllowed, "\(path) may not receive messages: its certificate lacks the agree usage")
            }
        case (.grant(let owner, _, _), .grant):
            // Whoever may publish the keyring's epochs may hand its seeds to a holder.
            guard signer.path == owner || signer.path.isStrictAncestor(of: owner) else {
                throw notAuthorised(signer, record, "only the keyring's owner \(owner) or an ancestor of it")
            }
        case (.rekey(let path), .rekey(let instruction)):
            try requireAncestor(signer, of: path, record: record, allowed: "only an ancestor of \(path)")
            try instruction.check(for: path, signer: signer, root: root, verifier: verifier, at: time)
        case (.transition, .transition(let transition)):
            guard signer.path.isRoot else { throw notAuthorised(signer, record, "only the cluster root") }
            _ = try transition.verify(from: root)
        default:
            // The content is parsed by the key's kind, so this is unreachable; a new kind must be
            // given its rule above rather than pass unchecked.
            throw ArborError(.malformedInput, "the record at \(record.key.text) holds a value of another kind")
        }
        return content
    }

    private static func member(
        _ path: TreePath, content: ClusterRecordContent, record: ClusterRecord, signer: KeyCertificate, verifier: ChainVerifier,
        at time: Int64
    ) throws {
        let isSelf = signer.path == path
        if !isSelf { try requireAncestor(signer, of: path, record: record, allowed: "only \(path) itself or an ancestor of it") }
        guard case .member(let member) = content else { return }
        guard member.path == path else {
            throw notAuthorised(signer, record, "a certificate for \(path) (it carries one for \(member.path))")
        }
        // A node updates its addresses, never the key others know it by: that is its ancestors' to certify.
        if isSelf, member.chain.leaf.keyID != signer.keyID {
            throw notAuthorised(signer, record, "its own current key (\(signer.keyID.shortHex)) as \(path)'s")
        }
        _ = try verifier.verify(member.chain, at: time)
    }

    private static func requireAncestor(
        _ signer: KeyCertificate, of path: TreePath, record: ClusterRecord, allowed: String
    ) throws {
        guard signer.path.isStrictAncestor(of: path) else { throw notAuthorised(signer, record, allowed) }
        guard signer.usage.contains(.certify) else {
            throw ArborError(.usageNotAllowed, "\(signer.path) may not speak for \(path): its certificate lacks the certify usage")
        }
    }

    private static func notAuthorised(_ signer: KeyCertificate, _ record: ClusterRecord, _ allowed: String) -> ArborError {
        ArborError(.notAuthorised, "\(signer.path) may not write \(record.key.text): the tree authorises \(allowed)")
    }
}
