import ArborCore
import ArborOperations
import Foundation
import Logging
import ServiceLifecycle

/// The node's part in branch assignment (docs/cluster.md §9) while it runs: an
/// `AssignmentCoordinator` fed with the live member set the membership sees, so that the seed
/// tree's branches are agreed through etcd and rebalanced whenever a member joins, leaves or is
/// revoked. Ownership keys ride on the member record's lease; a new lease (after a long cut) starts
/// a new coordinator. What the node holds shows in its health (`cluster.branches`).
public final class BranchOwnership: Service {
    let membership: ClusterMembership
    let etcd: EtcdClient
    let secret: NodeSecret
    let chain: CertificateChain
    let branches: [String]
    let logger: Logger

    /// - Parameter branches: the branch ids every member is configured with (the same list on every node).
    public init(
        membership: ClusterMembership, etcd: EtcdClient, secret: NodeSecret, chain: CertificateChain, branches: [String],
        logger: Logger
    ) {
        self.membership = membership
        self.etcd = etcd
        self.secret = secret
        self.chain = chain
        self.branches = branches
        self.logger = logger
    }

    /// `count` branch ids, `b0000` … (the ids of `arbor serve --branches COUNT`).
    public static func branchIDs(count: Int) -> [String] { (0..<count).map { "b" + String(format: "%04d", $0) } }

    public func run() async throws {
        var delay: Duration = .milliseconds(200)
        while !Task.isCancelled {
            guard let lease = await waitForLease() else { break }
            let coordinator = AssignmentCoordinator(
                etcd: etcd, secret: secret, chain: chain, ledger: membership.ledger, branches: branches, lease: lease,
                clock: { Int64(Date().timeIntervalSince1970) })
            do {
                try await cancelWhenGracefulShutdown {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await coordinator.run(memberSets: self.memberSets()) }
                        group.addTask { try await self.report(coordinator) }
                        // A new lease (the old one lapsed) means new ownership keys: start again.
                        group.addTask {
                            while !Task.isCancelled, self.membership.lease == lease { try await Task.sleep(for: .milliseconds(200)) }
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
                delay = .milliseconds(200)
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                logger.warning("cluster: branch assignment interrupted; retrying", metadata: ["error": "\(error)"])
            }
            if Task.isShuttingDownGracefully {
                // Hand the branches back at once rather than when the lease lapses.
                try? await coordinator.releaseAll()
                break
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
        membership.report(branches: nil)
    }

    /// The membership's live member set after every change, duplicates dropped.
    private func memberSets() -> AsyncStream<Set<TreePath>> {
        let views = membership.changes()
        let (stream, continuation) = AsyncStream.makeStream(of: Set<TreePath>.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            var last: Set<TreePath>?
            for await view in views {
                let members = Set(view.members.map(\.path))
                if members != last {
                    last = members
                    continuation.yield(members)
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Shows what the coordinator holds in the membership's view, twice a second when it changed.
    private func report(_ coordinator: AssignmentCoordinator) async throws {
        var reported: ClusterView.Branches?
        while !Task.isCancelled {
            let now = ClusterView.Branches(held: await coordinator.held.count, generation: await coordinator.assignment?.generation ?? 0)
            if now != reported {
                membership.report(branches: now)
                reported = now
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// The member record's lease once it is published; nil when the service is stopping first.
    private func waitForLease() async -> Int64? {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            if let lease = membership.lease { return lease }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}
