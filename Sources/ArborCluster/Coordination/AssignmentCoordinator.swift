import ArborCore
import ArborOperations
import Synchronization

/// Agrees the branch assignment through etcd and hands branches over so that no branch is ever
/// owned by two members at once (docs/cluster.md, "Branch assignment through etcd").
///
/// Two things live in etcd. The **assignment** (the signed `assignments` record): the rendezvous
/// owners of a member set at a generation, written with a compare-and-swap on the key's mod
/// revision, so of two coordinators that read the same revision one wins and the other reads again
/// (and, finding the member set it saw, writes nothing). The **ownership keys**
/// (`arbor-owners/<cluster id>/<branch>`, value the owner's path): a member owns a branch while it
/// holds its key, created only when absent (version 0) and bound to the member's lease. A member
/// gives up a branch the assignment moved away by forgetting it first and deleting its key after;
/// the new owner creates the key only once it is gone (or the old owner's lease lapsed). Since a
/// key exists once, a branch has at most one owner at every revision, whatever the order in which
/// members see the new assignment.
public actor AssignmentCoordinator {
    /// What one round reached.
    public struct Status: Sendable, Equatable {
        /// The generation of the assignment in force.
        public let generation: UInt64
        /// The branches this member holds.
        public let held: Set<String>
        /// Branches the assignment gives this member that another still holds.
        public let waiting: Int
        /// Whether this member wrote the assignment in force during the round.
        public let wrote: Bool
    }

    /// Compares and operations per transaction: etcd refuses more than 128 (its --max-txn-ops).
    static let batchSize = 64

    public let etcd: EtcdClient
    public let branches: [String]
    public let lease: Int64
    private let secret: NodeSecret
    private let chain: CertificateChain
    private let clock: @Sendable () -> Int64
    private var ledger: ClusterLedger
    /// The bytes of the assignment record applied last, so that reading it again is not a replay.
    private var appliedRecord: [UInt8]?
    /// The branches whose ownership key this member holds: what it acts on.
    public private(set) var held: Set<String> = []

    /// - Parameters:
    ///   - ledger: verifies the assignment records read (the cluster root and revocations).
    ///   - lease: the member's lease; its ownership keys go when it lapses.
    ///   - clock: Unix seconds, to verify and sign records.
    public init(
        etcd: EtcdClient, secret: NodeSecret, chain: CertificateChain, ledger: ClusterLedger, branches: [String], lease: Int64,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.etcd = etcd
        self.secret = secret
        self.chain = chain
        self.ledger = ledger
        self.branches = branches
        self.lease = lease
        self.clock = clock
    }

    public nonisolated var member: TreePath { secret.path }
    public var assignment: BranchAssignment? { ledger.assignments }
    var assignmentKey: String { ClusterRecordKey.assignments(cluster: ledger.cluster).text }

    /// The prefix of the ownership keys: outside the signed records' prefix, since they are locks
    /// and not records (a reader of the records does not see them).
    public static func ownershipPrefix(cluster: KeyID) -> String { "arbor-owners/\(cluster.hex)/" }
    func ownershipKey(_ branch: String) -> String { Self.ownershipPrefix(cluster: ledger.cluster) + branch }

    /// One round: agrees an assignment for `members` (unless the one in force is for them), then
    /// releases the branches it moved away and claims those it gives this member that are free.
    public func reconcile(members: Set<TreePath>) async throws -> Status {
        let (target, wrote) = try await agree(members: members)
        let owners = target.table
        try await release(branches: held.filter { owners[$0] != member })
        let waiting = try await claim(branches: Set(target.branches(of: member)).subtracting(held))
        return Status(generation: target.generation, held: held, waiting: waiting, wrote: wrote)
    }

    /// Gives up every branch (before the member leaves on purpose).
    public func releaseAll() async throws { try await release(branches: held) }

    // MARK: Agreement

    private func agree(members: Set<TreePath>) async throws -> (BranchAssignment, Bool) {
        let wanted = Set(branches)
        while true {
            let stored = try await etcd.get(assignmentKey)
            if let stored, stored.value != appliedRecord {
                // A record this member cannot verify (forged, or an old one written back) is not in
                // force: the next write replaces it.
                if (try? ledger.apply(stored.value, storedAt: assignmentKey, at: clock())) != nil { appliedRecord = stored.value }
            }
            if let current = ledger.assignments, stored?.value == appliedRecord, Set(current.members) == members,
                Set(current.owners.map(\.branch)) == wanted
            {
                return (current, false)
            }
            let next = try BranchAssignment(generation: (ledger.assignments?.generation ?? 0) + 1, members: members, branches: wanted)
            let write = try ClusterWrites.assign(next, secret: secret, chain: chain, after: ledger, at: clock())
            let result = try await etcd.transaction(
                compare: [.modRevision(of: assignmentKey, .equal, stored?.modRevision ?? 0)],
                success: [.put(key: write.key, value: write.value)])
            guard result.succeeded else { continue }  // another coordinator wrote first: read what it agreed
            try ledger.apply(write.value, storedAt: assignmentKey, at: clock())
            appliedRecord = write.value
            return (next, true)
        }
    }

    // MARK: Handover

    /// Forgets the branches first, then deletes their keys (only where this member holds them).
    private func release(branches: Set<String>) async throws {
        guard !branches.isEmpty else { return }
        held.subtract(branches)
        let me = Array(member.description.utf8)
        for batch in Self.batches(branches.sorted()) {
            let keys = batch.map(ownershipKey)
            let result = try await etcd.transaction(
                compare: keys.map { EtcdCompare.value(of: $0, .equal, me) }, success: keys.map { EtcdOperation.delete(key: $0) })
            guard !result.succeeded else { continue }
            // Some key was not this member's (its lease lapsed and another took it): delete one by one.
            for key in keys {
                _ = try await etcd.transaction(compare: [.value(of: key, .equal, me)], success: [.delete(key: key)])
            }
        }
    }

    /// Creates the keys of the free branches; returns how many are still held by another member.
    private func claim(branches: Set<String>) async throws -> Int {
        let me = Array(member.description.utf8)
        var waiting = 0
        for batch in Self.batches(branches.sorted()) {
            var free = batch
            while !free.isEmpty {
                let keys = free.map(ownershipKey)
                let result = try await etcd.transaction(
                    compare: keys.map { EtcdCompare.version(of: $0, .equal, 0) },
                    success: keys.map { EtcdOperation.put(key: $0, value: me, lease: lease) },
                    failure: keys.map { EtcdOperation.get(key: $0) })
                if result.succeeded {
                    held.formUnion(free)
                    break
                }
                var stillFree: [String] = []
                for (branch, outcome) in zip(free, result.results) {
                    guard case .range(let found) = outcome, let holder = found.first else {
                        stillFree.append(branch)
                        continue
                    }
                    if holder.value == me, holder.lease == lease {
                        held.insert(branch)  // created by this member in an earlier round that did not finish
                    } else {
                        waiting += 1
                    }
                }
                free = stillFree
            }
        }
        return waiting
    }

    static func batches(_ items: [String]) -> [[String]] {
        stride(from: 0, to: items.count, by: batchSize).map { Array(items[$0..<min($0 + batchSize, items.count)]) }
    }

    // MARK: Running

    /// Reconciles whenever the member set changes (each element of `memberSets` is the whole live
    /// set, as the membership watch sees it) or an ownership key or the assignment changes, until
    /// the task is cancelled or `memberSets` ends. Errors from etcd end the run (the caller's
    /// service restarts it); the branches held stay held until the lease lapses.
    public func run<Members: AsyncSequence & Sendable>(memberSets: Members) async throws
    where Members.Element == Set<TreePath> {
        // Wake-ups only say "look again"; the latest member set is kept aside, so coalescing
        // wake-ups never loses one.
        let latest = LatestMembers()
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let etcd = etcd
        let prefixes = [Self.ownershipPrefix(cluster: ledger.cluster), assignmentKey]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await members in memberSets {
                    latest.set(members)
                    wake.yield()
                }
                wake.finish()
            }
            for prefix in prefixes {
                group.addTask {
                    for try await _ in etcd.watch(prefix: prefix) { wake.yield() }
                }
            }
            for await _ in wakeups {
                if let members = latest.get() { _ = try await reconcile(members: members) }
            }
            group.cancelAll()
        }
    }
}

/// The member set seen last, shared between the task reading the member sets and the reconciler.
private final class LatestMembers: Sendable {
    private let value = Mutex<Set<TreePath>?>(nil)
    func set(_ members: Set<TreePath>) { value.withLock { $0 = members } }
    func get() -> Set<TreePath>? { value.withLock { $0 } }
}
