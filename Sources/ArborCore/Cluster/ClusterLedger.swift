/// What a reader of the cluster state has applied, and the rules for applying more: a pure state
/// machine fed with what etcd returns (a range, then a watch), one record or deletion at a time.
///
/// A record is applied only when it verifies (`ClusterRecord.verify`, with the revocations held
/// here) and its sequence number is above the last one applied for its key (`replayed`
/// otherwise), so an old signed value written back by someone with etcd access is refused. A
/// keyring's epochs never go down and a revocation is never lifted (`rollback`), whoever signs.
/// The caller persists the ledger so that a restart does not reopen the window.
public struct ClusterLedger: Sendable {
    public let root: TrustAnchor
    /// The highest sequence applied per key.
    public var sequences: [ClusterRecordKey: UInt64] { applied.mapValues(\.sequence) }
    /// The last record applied per key: what a reader persists (`snapshot`).
    public private(set) var applied: [ClusterRecordKey: ClusterRecord] = [:]
    /// Member keys deleted since their last record (a lapsed lease).
    public private(set) var departed: Set<ClusterRecordKey> = []
    /// Members whose record is present and not deleted.
    public private(set) var members: [TreePath: ClusterMember] = [:]
    public private(set) var revocations: RevocationList
    public private(set) var keyrings: [ClusterRecordKey: KeyringMetadata] = [:]
    /// The latest root-signed bundle per name. Importing one merges its revocations into the trust
    /// store as `arbor trust import` does (docs/keys.md §17).
    public private(set) var trustBundles: [String: TrustBundle] = [:]
    public private(set) var assignments: BranchAssignment?
    /// The last leaf range reserved per shared LMS key.
    public private(set) var leafRanges: [ClusterRecordKey: LeafRange] = [:]
    /// The latest prekey bundle each node published (docs/cluster.md, "Messages between nodes").
    public private(set) var prekeys: [TreePath: PrekeyBundle] = [:]
    /// The latest rekey instruction per node path (docs/cluster.md, "Rekey over the cluster").
    public private(set) var rekeys: [TreePath: RekeyInstruction] = [:]
    /// The hand-over from this cluster's root to a new one, once the root published it.
    public private(set) var transition: RootTransition?
    /// The sealed keyrings of the grants applied, by key: each opens only on its holder.
    public var grants: [ClusterRecordKey: [UInt8]] {
        applied.filter { $0.key.kind == .grant }.mapValues(\.value)
    }

    /// - Parameter revocations: revocations the reader holds already (its own list, trust bundles).
    public init(root: TrustAnchor, revocations: RevocationList = RevocationList()) {
        self.root = root
        self.revocations = revocations
    }

    public var cluster: KeyID { root.keyID }

    /// Verifies and applies a record read from `storedAt`. Nothing changes when it throws.
    /// - Parameter time: Unix seconds; the caller reads the clock.
    @discardableResult
    public mutating func apply(_ bytes: [UInt8], storedAt: String, at time: Int64) throws -> VerifiedClusterRecord {
        let record = try ClusterRecord(encoded: bytes)
        guard record.key.cluster == cluster else {
            throw ArborError(.wrongCluster, "the record at \(storedAt) belongs to cluster \(record.key.cluster.shortHex), not to this one")
        }
        let verified = try record.verify(storedAt: storedAt, root: root, revocations: revocations, at: time)
        if let held = applied[record.key]?.sequence, record.sequence <= held {
            throw ArborError(
                .replayed,
                "the record at \(storedAt) has sequence \(record.sequence), but \(held) was applied already: an old value written back")
        }
        if case .keyring(let metadata) = verified.content, let held = keyrings[record.key] {
            guard held.cipher == metadata.cipher else {
                throw ArborError(.conflict, "keyring \(storedAt) seals with \(held.cipher); a record cannot change its cipher")
            }
            guard !held.isLowered(by: metadata) else {
                throw ArborError(
                    .rollback,
                    "keyring \(storedAt) is at epoch \(held.activeEpoch), minimum \(held.minimumEpoch); a record cannot lower them to \(metadata.activeEpoch), \(metadata.minimumEpoch)"
                )
            }
        }
        try checkProgress(of: verified.content, at: record.key, storedAt: storedAt)
        // A node's prekeys are signed with the key its live member record names, not an older one.
        if case .prekeys(let path) = record.key.subject, let member = members[path], member.chain.leaf.keyID != verified.signer.keyID {
            throw ArborError(.notAuthorised, "the prekeys at \(storedAt) are signed with a key of \(path) that is not its current one")
        }
        install(record, verified.content)
        return verified
    }

    /// The assignment's generation and a shared key's leaf counter only grow (`rollback`).
    private func checkProgress(of content: ClusterRecordContent, at key: ClusterRecordKey, storedAt: String) throws {
        switch content {
        case .assignments(let assignment):
            if let held = assignments, assignment.generation <= held.generation {
                throw ArborError(
                    .rollback,
                    "\(storedAt) is at generation \(held.generation); a record cannot bring it back to \(assignment.generation)")
            }
        case .leaves(let range):
            if let held = leafRanges[key], !held.isFollowed(by: range) {
                throw ArborError(
                    .rollback,
                    "\(storedAt) has leaves up to \(held.next) reserved; a record reserving from \(range.first) would hand one out twice")
            }
        default: break
        }
    }

    private mutating func install(_ record: ClusterRecord, _ content: ClusterRecordContent) {
        switch content {
        case .member(let member): members[member.path] = member
        case .memberRemoved:
            if case .member(let path) = record.key.subject { members[path] = nil }
        case .revocation(let revocation): revocations.merge([revocation])
        case .keyring(let metadata): keyrings[record.key] = metadata
        case .trust(let bundle): trustBundles[bundle.clusterName] = bundle
        case .assignments(let value): assignments = value
        case .leaves(let range): leafRanges[record.key] = range
        case .prekeys(let bundle):
            if case .prekeys(let path) = record.key.subject { prekeys[path] = bundle }
        case .grant: break  // The applied record holds the sealed keyring (`grants`).
        case .rekey(let instruction):
            if case .rekey(let path) = record.key.subject { rekeys[path] = instruction }
        case .transition(let value): transition = value
        }
        applied[record.key] = record
        departed.remove(record.key)
    }

    /// Applies the deletion of a key, which carries no signature: a member's key goes when its
    /// lease lapses (the member is no longer live, and its sequence is kept so an older record
    /// cannot bring it back); every other key is kept, and its deletion is refused (`rollback`):
    /// deleting the key cannot lift a revocation, reset a keyring or drop a trust bundle.
    public mutating func applyDeletion(of storedAt: String) throws {
        guard let key = applied.keys.first(where: { $0.text == storedAt }) else { return }
        guard case .member(let path) = key.subject else {
            throw ArborError(
                .rollback, "\(storedAt) was deleted from the cluster state; a deletion cannot undo a signed \(key.kind) record")
        }
        members[path] = nil
        departed.insert(key)
    }
}

extension ClusterLedger {
    static let snapshotMagic = Array("ARCL".utf8)
    static let snapshotVersion: UInt8 = 1

    /// What the reader keeps across restarts, so that a restart does not reopen the replay window:
    /// magic "ARCL", version, u32 count, then per key (sorted by key text) u8 departed (0 or 1)
    /// and the last applied record as a long field.
    public var snapshot: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Self.snapshotMagic)
        writer.append(Self.snapshotVersion)
        writer.append(UInt32(applied.count))
        for (key, record) in applied.sorted(by: { Array($0.key.text.utf8).lexicographicallyPrecedes(Array($1.key.text.utf8)) }) {
            writer.append(UInt8(departed.contains(key) ? 1 : 0))
            writer.append(long: record.encoded)
        }
        return writer.bytes
    }

    /// Restores a reader from its own snapshot. The records were verified when they were applied
    /// and the snapshot is the node's own store, so they are installed without checking their
    /// chains again (a certificate may have expired since): only their cluster and values.
    public init(root: TrustAnchor, revocations: RevocationList = RevocationList(), snapshot bytes: [UInt8]) throws {
        self.init(root: root, revocations: revocations)
        var reader = ByteReader(bytes, context: "a cluster ledger snapshot")
        guard try reader.read(count: 4) == Self.snapshotMagic else {
            throw ArborError.malformed("this is not an Arbor cluster ledger snapshot")
        }
        let version = try reader.readUInt8()
        guard version == Self.snapshotVersion else {
            throw ArborError(.unsupportedVersion, "cluster ledger snapshot version \(version) is not supported; upgrade arbor")
        }
        let count = Int(try reader.readUInt32())
        for _ in 0..<count {
            let departed = try reader.readUInt8()
            let record = try ClusterRecord(encoded: try reader.readLongField(maximum: 1 << 26))
            guard departed == 0 || (departed == 1 && record.key.kind == .member), record.key.cluster == cluster, applied[record.key] == nil
            else {
                throw ArborError.malformed("a cluster ledger snapshot holds a bad entry")
            }
            install(record, try ClusterRecordContent(parsing: record))
            if departed == 1 {
                if case .member(let path) = record.key.subject { members[path] = nil }
                self.departed.insert(record.key)
            }
        }
        try reader.expectEnd()
    }
}
