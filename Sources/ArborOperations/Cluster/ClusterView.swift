import ArborCore

/// A read-only picture of what a node has applied of the cluster state, and how fresh it is:
/// what `GET /v1/sys/health` reports and what other parts of the node (the TLS verifier's
/// revocations) follow. Holds no secret.
public struct ClusterView: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        /// Not in contact with etcd yet since the node started.
        case connecting
        /// Reading and watching etcd.
        case synced
        /// Was in contact, lost it, and serves with what it holds while it retries.
        case stale
    }

    public struct Member: Sendable, Equatable {
        public let path: TreePath
        public let addresses: [String]
        /// The member's certificate chain (public): its last key is the one it is known by.
        public let chain: CertificateChain
        public var keyID: KeyID { chain.leaf.keyID }
    }

    public struct Keyring: Sendable, Equatable, Codable {
        public let owner: String
        public let name: String
        public let cipher: String
        public let activeEpoch: UInt32
        public let minimumEpoch: UInt32

        enum CodingKeys: String, CodingKey {
            case owner, name, cipher
            case activeEpoch = "active_epoch"
            case minimumEpoch = "minimum_epoch"
        }
    }

    public var state: State
    /// The etcd revision of the last change applied.
    public var revision: Int64
    /// Milliseconds since 1970 of the last successful exchange with etcd; nil if never.
    public var lastContact: Int64?
    /// Live members (present and not departed), by path.
    public var members: [Member]
    /// Every revocation applied from the cluster (and held before).
    public var revocations: RevocationList
    public var keyrings: [Keyring]
    /// Records refused since the node started (each logged with its key and error code).
    public var refused: Int
    /// The seed tree's branches this node holds, and the generation of the assignment in force,
    /// when it takes part in branch assignment (`arbor serve --branches`); nil otherwise.
    public var branches: Branches?

    public struct Branches: Sendable, Equatable {
        public let held: Int
        public let generation: UInt64

        public init(held: Int, generation: UInt64) {
            self.held = held
            self.generation = generation
        }
    }

    public init(
        state: State = .connecting, revision: Int64 = 0, lastContact: Int64? = nil, members: [Member] = [],
        revocations: RevocationList = RevocationList(), keyrings: [Keyring] = [], refused: Int = 0
    ) {
        self.state = state
        self.revision = revision
        self.lastContact = lastContact
        self.members = members
        self.revocations = revocations
        self.keyrings = keyrings
        self.refused = refused
    }

    /// The applied part of the view, from a ledger (state, revision and contact are the caller's).
    public mutating func update(from ledger: ClusterLedger) {
        // A member whose key (or an ancestor's) a revocation covers is no longer live, whatever its
        // lease says: its record stays applied (its sequence guards against replay), unlisted.
        let revoked = { (member: ClusterMember) in
            member.chain.certificates.contains { !ledger.revocations.revocations(covering: $0).isEmpty }
        }
        members = ledger.members.values.filter { !revoked($0) }.sorted { $0.path.description < $1.path.description }.map {
            Member(path: $0.path, addresses: $0.addresses, chain: $0.chain)
        }
        revocations = ledger.revocations
        keyrings = ledger.keyrings.compactMap { key, metadata in
            guard case .keyring(let owner, let name) = key.subject else { return nil }
            return Keyring(
                owner: owner.description, name: name, cipher: metadata.cipher.description, activeEpoch: metadata.activeEpoch,
                minimumEpoch: metadata.minimumEpoch)
        }.sorted { ($0.owner, $0.name) < ($1.owner, $1.name) }
    }

    /// Whole seconds since the last contact with etcd at `now` (ms); 0 while synced, nil if never in contact.
    public func staleForSeconds(now: Int64) -> Int64? {
        if state == .synced { return 0 }
        return lastContact.map { max(0, (now - $0) / 1000) }
    }
}

/// Something that knows the node's cluster view now (the membership service), for the HTTP layer,
/// which does not depend on the cluster module.
public protocol ClusterViewSource: Sendable {
    var currentView: ClusterView { get }
    /// Whether an instruction to move this node to a new key is waiting (docs/cluster.md §17).
    var hasPendingRekey: Bool { get }
}

extension ClusterViewSource {
    public var hasPendingRekey: Bool { false }
}
