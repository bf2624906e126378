import ArborCore
import ArborOperations
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The node as a member of its cluster (docs/cluster.md, "The node in the cluster"): a
/// swift-service-lifecycle `Service` that follows the cluster state in etcd and publishes the
/// node's own member record under a lease.
///
/// It reads the cluster prefix and applies every record through `ClusterLedger` (a refused
/// record is logged with its key and error code, counted, and never applied), then watches the
/// prefix from the next revision; it persists what it applied after each batch, so a node cut off
/// from etcd keeps serving with what it holds and reports `stale`; on a lost connection it retries
/// with backoff and reads the prefix again (which also covers a compacted watch). Grants addressed
/// to this node are opened and merged into its keyring store. A rekey instruction for this node's
/// key is handed to `onRekey` (the server installs the new key and restarts its services on it),
/// and the revocation of a key it left is posted once the grace period is over. At graceful
/// shutdown it revokes its lease, so the other members see it leave at once.
public final class ClusterMembership: Service, ClusterViewSource {
    public struct Configuration: Sendable {
        /// The member record's lease: it lapses this long after the node stops renewing it.
        public var leaseSeconds: Int64 = 10
        public var firstRetryDelay: Duration = .milliseconds(200)
        public var longestRetryDelay: Duration = .seconds(5)

        public init() {}
    }

    private struct Shared {
        var follower: ClusterFollower
        var view: ClusterView
        var lease: Int64?
        var hasSynced = false
        var subscribers: [Int: AsyncStream<ClusterView>.Continuation] = [:]
        var nextSubscriber = 0
        /// Set once the pending rekey instruction was handed over: it is carried out once.
        var rekeyHandedOver = false
    }

    public let etcd: EtcdClient
    let secret: NodeSecret
    let keys: NodeKeySet
    let chain: CertificateChain
    let addresses: [String]
    let store: any ClusterStateStore
    let keyrings: (any KeyringStore & Sendable)?
    let configuration: Configuration
    let logger: Logger
    /// Called once with the verified instruction that moves this node to a new key.
    let onRekey: @Sendable (RekeyInstruction) -> Void
    /// Milliseconds since 1970: the service reads the clock, the rules below it are given the time.
    let now: @Sendable () -> Int64
    private let shared: Mutex<Shared>
    private let appliedCounter = Counter(label: "arbor_cluster_records_applied_total")

    /// The cluster's anchor is the root certificate of the node's own chain.
    public init(
        etcd: EtcdClient, secret: NodeSecret, chain: CertificateChain, addresses: [String], store: any ClusterStateStore,
        keyrings: (any KeyringStore & Sendable)? = nil, configuration: Configuration = Configuration(), logger: Logger,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        onRekey: @escaping @Sendable (RekeyInstruction) -> Void = { _ in }
    ) throws {
        keys = try secret.keySet()
        guard chain.leaf.keyID == keys.keyID else {
            throw ArborError(.invalidArgument, "the chain does not end with this node's key")
        }
        let anchor = try TrustAnchor(name: "cluster", rootCertificate: chain.root)
        let kept = try store.load(cluster: anchor.keyID.hex)
        let follower = try ClusterFollower(root: anchor, kept: kept)
        var view = ClusterView(revision: follower.revision, lastContact: kept?.lastContact)
        view.update(from: follower.ledger)
        shared = Mutex(Shared(follower: follower, view: view))
        self.etcd = etcd
        self.secret = secret
        self.chain = chain
        self.addresses = addresses
        self.store = store
        self.keyrings = keyrings
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.onRekey = onRekey
    }

    /// The lease the node's member record is attached to, once it is published.
    public var lease: Int64? { shared.withLock { $0.lease } }

    /// The ledger as applied now (for a service that verifies records itself, with the same root and revocations).
    public var ledger: ClusterLedger { shared.withLock { $0.follower.ledger } }

    /// What the branch ownership reports, shown in the view (and so in the health answer).
    public func report(branches: ClusterView.Branches?) {
        let (view, subscribers) = shared.withLock { shared in
            shared.view.branches = branches
            return (shared.view, Array(shared.subscribers.values))
        }
        for subscriber in subscribers { subscriber.yield(view) }
    }

    /// Whether an instruction to move this node to a new key is waiting in the state it applied.
    public var hasPendingRekey: Bool {
        let time = now() / 1000
        return shared.withLock { (try? ClusterRekeys.pending(for: secret, in: $0.follower.ledger, at: time)) != nil }
    }

    /// The cluster's root key id.
    public var cluster: KeyID { shared.withLock { $0.follower.cluster } }

    /// The view now. A watch on an etcd that hangs rather than drops the connection fails no
    /// call, so the view is also `stale` when nothing was heard from etcd (the lease renewals
    /// every third of its time to live included) for two lease lifetimes.
    public var currentView: ClusterView {
        var view = shared.withLock { $0.view }
        if view.state == .synced, let last = view.lastContact, now() - last > configuration.leaseSeconds * 2000 {
            view.state = .stale
        }
        return view
    }

    /// The view after every change (records applied, state or revision moved), starting with the
    /// current one. The stream ends when the consumer stops iterating.
    public func changes() -> AsyncStream<ClusterView> {
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterView.self, bufferingPolicy: .bufferingNewest(16))
        let id = shared.withLock { shared in
            let id = shared.nextSubscriber
            shared.nextSubscriber += 1
            shared.subscribers[id] = continuation
            continuation.yield(shared.view)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.shared.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.follow() }
                group.addTask { await self.keepMembership() }
                await group.waitForAll()
            }
        }
        await leave()
    }

    // MARK: Following the cluster state

    /// Read the prefix, apply, watch from the next revision; on any failure retry with backoff.
    private func follow() async {
        var delay = configuration.firstRetryDelay
        let prefix = shared.withLock { $0.follower.prefix }
        while !Task.isCancelled {
            do {
                let read = try await etcd.range(prefix: prefix)
                let changes = read.keyValues.map {
                    ClusterChange(kind: .put, key: $0.key, value: $0.value, revision: $0.modRevision)
                }
                let time = now()
                let outcome = shared.withLock { $0.follower.applyRead(changes, revision: read.revision, at: time / 1000) }
                handle(outcome, contact: time, state: .synced)
                delay = configuration.firstRetryDelay
                for try await event in etcd.watch(prefix: prefix, fromRevision: read.revision + 1) {
                    let change = ClusterChange(
                        kind: event.kind == .put ? .put : .delete, key: event.key, value: event.value, revision: event.modRevision)
                    let time = now()
                    let outcome = shared.withLock { $0.follower.apply([change], at: time / 1000) }
                    handle(outcome, contact: time, state: .synced)
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("cluster: lost etcd, serving with what this node holds", metadata: ["error": "\(error)"])
                lost()
            }
            do {
                try await Task.sleep(for: delay)
            } catch {
                break
            }
            delay = min(delay * 2, configuration.longestRetryDelay)
        }
    }

    /// After a batch: log and count refusals, act on grants and keyring records, persist, publish.
    private func handle(_ outcome: ClusterApplyOutcome, contact: Int64, state: ClusterView.State) {
        for (key, error) in outcome.refused {
            logger.warning(
                "cluster: record refused", metadata: ["key": "\(key)", "code": "\(error.code)", "error": "\(error.message)"])
            Counter(label: "arbor_cluster_records_refused_total", dimensions: [("code", "\(error.code)")]).increment()
        }
        for key in outcome.departed { logger.info("cluster: member left", metadata: ["key": "\(key)"]) }
        for verified in outcome.applied {
            appliedCounter.increment()
            logger.debug("cluster: record applied", metadata: ["key": "\(verified.record.key.text)"])
            apply(verified)
        }
        let (snapshot, view, subscribers) = shared.withLock { shared in
            shared.view.state = state
            shared.view.lastContact = contact
            shared.view.revision = shared.follower.revision
            shared.view.refused += outcome.refused.count
            shared.view.update(from: shared.follower.ledger)
            shared.hasSynced = true
            return (shared.follower.state(lastContact: contact), shared.view, Array(shared.subscribers.values))
        }
        persist(snapshot)
        for subscriber in subscribers { subscriber.yield(view) }
        handOverRekey()
    }

    /// A rekey instruction for the key this node holds (just applied, or applied before a restart
    /// that came before the move) goes to `onRekey`, once.
    private func handOverRekey() {
        let time = now() / 1000
        // Checked and marked under one lock: handed over (or refused, and logged) once.
        let pending = shared.withLock { shared -> Result<RekeyInstruction, any Error>? in
            guard !shared.rekeyHandedOver else { return nil }
            do {
                guard let found = try ClusterRekeys.pending(for: secret, in: shared.follower.ledger, at: time) else { return nil }
                shared.rekeyHandedOver = true
                return .success(found)
            } catch {
                shared.rekeyHandedOver = true
                return .failure(error)
            }
        }
        let instruction: RekeyInstruction
        switch pending {
        case nil: return
        case .failure(let error)?:
            logger.error("cluster: the rekey instruction for this node is refused", metadata: ["error": "\(error)"])
            return
        case .success(let found)?: instruction = found
        }
        logger.notice(
            "cluster: rekey ordered for this node",
            metadata: [
                "member": "\(secret.path)", "new_path": "\(instruction.chain.leaf.path)",
                "new_key": "\(instruction.chain.leaf.keyID.shortHex)",
            ])
        onRekey(instruction)
    }

    /// Posts the revocation of a key this node moved away from, once its grace period is over (the
    /// ancestor who ordered the move signed it; the ledger applies it like any other record).
    private func postDueRevocation() async {
        let time = now()
        guard
            let write = try? shared.withLock({
                try ClusterRekeys.dueRevocation(for: keys, chain: chain, in: $0.follower.ledger, at: time / 1000)
            })
        else { return }
        do {
            // Created only where absent: another member (or anyone) may have posted it already.
            _ = try await etcd.transaction(
                compare: [.version(of: write.key, .equal, 0)], success: [.put(key: write.key, value: write.value)])
            logger.info("cluster: the revocation of this node's previous key is published", metadata: ["key": "\(write.key)"])
        } catch {
            logger.warning("cluster: the revocation of this node's previous key could not be published", metadata: ["error": "\(error)"])
        }
    }

    /// Grants addressed to this node go into its keyring store; keyring records retire epochs there.
    private func apply(_ verified: VerifiedClusterRecord) {
        guard let keyrings else { return }
        let key = verified.record.key
        do {
            switch (key.subject, verified.content) {
            case (.grant(_, _, let holder), .grant(let sealed)) where holder == secret.path:
                let keyring = try KeyringGrants.open(sealed, key: key, holder: secret)
                let held = try KeyringGrants.install(keyring, into: keyrings)
                logger.info(
                    "cluster: keyring granted",
                    metadata: [
                        "keyring": "\(held.name)", "owner": "\(held.owner)", "active_epoch": "\(held.activeEpoch)",
                        "minimum_epoch": "\(held.minimumEpoch)",
                    ])
            case (.keyring(let owner, let name), .keyring(let metadata)):
                try KeyringGrants.apply(metadata, owner: owner, name: name, to: keyrings)
            default:
                break
            }
        } catch let error as ArborError where error.code == .fileNotFound {
            // A keyring record for a keyring this node does not hold: nothing to retire.
        } catch {
            logger.error(
                "cluster: a grant or keyring record could not be applied to the keyrings",
                metadata: ["key": "\(key.text)", "error": "\(error)"])
        }
    }

    /// Connection lost: `stale` once the node has been in contact with etcd, else still `connecting`.
    private func lost() {
        let (view, subscribers) = shared.withLock { shared in
            shared.view.state = shared.view.lastContact == nil ? .connecting : .stale
            return (shared.view, Array(shared.subscribers.values))
        }
        for subscriber in subscribers { subscriber.yield(view) }
    }

    private func persist(_ state: ClusterState) {
        do {
            try store.save(state, cluster: cluster.hex)
        } catch {
            logger.error("cluster: the applied state could not be saved", metadata: ["error": "\(error)"])
        }
    }

    // MARK: The node's own member record

    /// Publishes the member record under a lease once the state has been read (so its sequence
    /// follows the one held), renews the lease every third of its time to live, and publishes
    /// again under a new lease when the old one lapsed (after a long cut).
    private func keepMembership() async {
        while !Task.isCancelled, !shared.withLock({ $0.hasSynced }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        var delay = configuration.firstRetryDelay
        while !Task.isCancelled {
            do {
                let lease: Int64
                if let held = shared.withLock({ $0.lease }) {
                    lease = held
                } else {
                    lease = try await announce()
                    await postDueRevocation()
                }
                try await Task.sleep(for: .seconds(configuration.leaseSeconds) / 3)
                let renewed = try await etcd.keepAlive(lease: lease)
                if renewed.ttlSeconds == 0 {
                    logger.notice("cluster: the member lease lapsed; publishing the member record again")
                    shared.withLock { $0.lease = nil }
                    continue
                }
                let time = now()
                shared.withLock { $0.view.lastContact = time }
                await postDueRevocation()
                delay = configuration.firstRetryDelay
            } catch {
                if Task.isCancelled { break }
                logger.warning("cluster: the member lease could not be renewed", metadata: ["error": "\(error)"])
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    break
                }
                delay = min(delay * 2, configuration.longestRetryDelay)
            }
        }
    }

    private func announce() async throws -> Int64 {
        let lease = try await etcd.grantLease(ttlSeconds: configuration.leaseSeconds)
        let time = now()
        let write = try shared.withLock { shared in
            try ClusterWrites.announce(
                addresses: addresses, secret: secret, chain: chain, after: shared.follower.ledger, at: time / 1000)
        }
        try await etcd.put(key: write.key, value: write.value, lease: lease.id)
        let snapshot = shared.withLock { shared in
            // The node's next write of its record follows this one's sequence.
            try? shared.follower.applyOwn(write, at: time / 1000)
            shared.lease = lease.id
            shared.view.lastContact = time
            return shared.follower.state(lastContact: time)
        }
        persist(snapshot)
        logger.info("cluster: joined", metadata: ["member": "\(secret.path)", "addresses": "\(addresses.joined(separator: ","))"])
        return lease.id
    }

    /// Revokes the lease: the member record goes at once rather than when the lease lapses.
    private func leave() async {
        guard let lease = shared.withLock({ $0.lease }) else { return }
        do {
            try await etcd.revokeLease(lease)
            shared.withLock { $0.lease = nil }
            logger.info("cluster: left", metadata: ["member": "\(secret.path)"])
        } catch {
            logger.warning("cluster: the member lease could not be revoked; it lapses on its own", metadata: ["error": "\(error)"])
        }
        for subscriber in shared.withLock({ Array($0.subscribers.values) }) { subscriber.finish() }
    }
}
