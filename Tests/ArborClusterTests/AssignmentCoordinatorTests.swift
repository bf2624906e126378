import ArborCluster
import ArborCore
import ArborTestSupport
import Foundation
import Testing

/// Branch assignment agreed through a real etcd (docs/cluster.md, "Branch assignment through etcd"): how many branches move when
/// the membership changes, that concurrent coordinators agree one assignment, and that no branch
/// ever has two owners, checked at every revision of a rebalance.
@Suite("Assignment coordinator", .serialized)
struct AssignmentCoordinatorTests {
    static let branches = (0..<1024).map { "branch-\($0)" }

    /// A cluster of coordinators on one etcd, one per member, each with its own lease.
    final class Fleet: @unchecked Sendable {  // Used from one test task at a time.
        let etcd: EtcdClient
        let identities: ClusterTestIdentities
        var coordinators: [TreePath: AssignmentCoordinator] = [:]

        init(etcd: EtcdClient) throws {
            self.etcd = etcd
            identities = try ClusterTestIdentities()
        }

        func add(_ path: String) async throws {
            let node = try identities.node(path)
            let lease = try await etcd.grantLease(ttlSeconds: 60)
            coordinators[node.secret.path] = AssignmentCoordinator(
                etcd: etcd, secret: node.secret, chain: node.chain, ledger: try identities.ledger(), branches: branches,
                lease: lease.id, clock: ClusterTestIdentities.now)
        }

        /// A member that crashes: its lease is revoked, so its ownership keys go with it.
        func crash(_ path: TreePath) async throws {
            let removed = coordinators.removeValue(forKey: path)
            let coordinator = try #require(removed)
            try await etcd.revokeLease(coordinator.lease)
        }

        var members: Set<TreePath> { Set(coordinators.keys) }

        /// Rounds of every coordinator at once until none waits and all agree; checks after every
        /// round that no two members believe they hold one branch.
        @discardableResult
        func settle(rounds: Int = 30) async throws -> [AssignmentCoordinator.Status] {
            let members = members
            for _ in 0..<rounds {
                let statuses = try await withThrowingTaskGroup(of: AssignmentCoordinator.Status.self) { group in
                    for coordinator in coordinators.values { group.addTask { try await coordinator.reconcile(members: members) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                var seen = Set<String>()
                for status in statuses {
                    #expect(seen.isDisjoint(with: status.held), "two members hold one branch")
                    seen.formUnion(status.held)
                }
                if statuses.allSatisfy({ $0.waiting == 0 }), Set(statuses.map(\.generation)).count == 1 { return statuses }
            }
            Issue.record("the coordinators did not settle in \(rounds) rounds")
            return []
        }

        /// Whether the ownership keys reach the rendezvous owners of `members` (polled; gives up after a minute).
        func converges(to members: Set<TreePath>) async throws -> Bool {
            let owners = RendezvousAssignment.assign(branches: branches, members: members).mapValues(\.description)
            for _ in 0..<600 {
                if try await holders() == owners { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }

        /// Branch → holder, from the ownership keys in etcd.
        func holders() async throws -> [String: String] {
            let prefix = AssignmentCoordinator.ownershipPrefix(cluster: identities.cluster)
            let range = try await etcd.range(prefix: prefix)
            return Dictionary(
                uniqueKeysWithValues: range.keyValues.map {
                    (String($0.key.dropFirst(prefix.count)), String(decoding: $0.value, as: UTF8.self))
                })
        }
    }

    static func expectRendezvous(_ holders: [String: String], members: Set<TreePath>) {
        let owners = RendezvousAssignment.assign(branches: branches, members: members)
        let wrong = branches.filter { holders[$0] != owners[$0]?.description }
        #expect(wrong.isEmpty, "\(wrong.count) branches are not held by their rendezvous owner, such as \(wrong.prefix(3))")
    }

    @Test("adding one member to n moves about 1/(n+1) of the branches, all to it", arguments: 3...10)
    func addingOneMember(n: Int) async throws {
        try await EtcdServer.with { server in
            let fleet = try Fleet(etcd: try server.client())
            for index in 0..<n { try await fleet.add("node-\(index)") }
            try await fleet.settle()
            let before = try await fleet.holders()
            Self.expectRendezvous(before, members: fleet.members)

            try await fleet.add("node-\(n)")
            let statuses = try await fleet.settle()
            let after = try await fleet.holders()
            Self.expectRendezvous(after, members: fleet.members)
            #expect(statuses.first?.generation == 2)

            let moved = Self.branches.filter { before[$0] != after[$0] }
            #expect(moved.allSatisfy { after[$0] == "node-\(n)" }, "a branch moved between two old members")
            // The number moved is binomial(B, 1/(n+1)): allow 4 standard deviations either side.
            let p = 1 / Double(n + 1)
            let expected = Double(Self.branches.count) * p
            let spread = (Double(Self.branches.count) * p * (1 - p)).squareRoot()
            print("n = \(n): \(moved.count) of \(Self.branches.count) branches moved (expected \(expected), sd \(spread))")
            #expect(abs(Double(moved.count) - expected) <= 4 * spread)
        }
    }

    @Test("removing a member moves only its branches, each to its next rendezvous owner")
    func removingOneMember() async throws {
        try await EtcdServer.with { server in
            let fleet = try Fleet(etcd: try server.client())
            for index in 0..<5 { try await fleet.add("node-\(index)") }
            try await fleet.settle()
            let before = try await fleet.holders()
            let leaving = try TreePath(parsing: "node-2")
            try await fleet.crash(leaving)
            try await fleet.settle()
            let after = try await fleet.holders()
            Self.expectRendezvous(after, members: fleet.members)
            let moved = Set(Self.branches.filter { before[$0] != after[$0] })
            #expect(moved == Set(before.filter { $0.value == "node-2" }.keys))
            #expect(!moved.isEmpty)
            print("removing node-2 of 5 moved \(moved.count) branches, all of them its own")
        }
    }

    @Test("coordinators started together agree one assignment: one writes it, the others read it")
    func concurrentCoordinatorsConverge() async throws {
        try await EtcdServer.with { server in
            let fleet = try Fleet(etcd: try server.client())
            for index in 0..<6 { try await fleet.add("node-\(index)") }
            let statuses = try await fleet.settle()
            #expect(statuses.count == 6)
            #expect(statuses.filter(\.wrote).count == 1, "exactly one coordinator wrote the assignment")
            #expect(statuses.allSatisfy { $0.generation == 1 })
            for (path, coordinator) in fleet.coordinators {
                let held = await coordinator.held
                let assignment = try #require(await coordinator.assignment)
                #expect(held == Set(assignment.branches(of: path)))
                #expect(Set(assignment.members) == fleet.members)
            }
            Self.expectRendezvous(try await fleet.holders(), members: fleet.members)
        }
    }

    @Test("running coordinators follow the member sets they are given and the releases they watch")
    func runningFollowsMemberSets() async throws {
        try await EtcdServer.with { server in
            let fleet = try Fleet(etcd: try server.client())
            for index in 0..<4 { try await fleet.add("node-\(index)") }
            let first = Set(try (0..<3).map { try TreePath(parsing: "node-\($0)") })
            let all = fleet.members
            let feeds = fleet.coordinators.values.map { ($0, AsyncStream.makeStream(of: Set<TreePath>.self)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (coordinator, feed) in feeds { group.addTask { try await coordinator.run(memberSets: feed.0) } }
                // node-3 runs but is not a member yet: it holds nothing until the member set names it.
                for (_, feed) in feeds { feed.1.yield(first) }
                #expect(try await fleet.converges(to: first), "the running coordinators did not settle on three members")
                for (_, feed) in feeds { feed.1.yield(all) }
                #expect(try await fleet.converges(to: all), "the running coordinators did not hand branches to node-3")
                for (_, feed) in feeds { feed.1.finish() }
                try await group.waitForAll()
            }
            #expect(try await fleet.coordinators[try TreePath(parsing: "node-3")]!.assignment?.generation == 2)
        }
    }

    @Test("replaying every revision of rebalances: no branch ever has two owners, and each holder took it from the assignment")
    func noTwoOwnersAtAnyRevision() async throws {
        try await EtcdServer.with { server in
            let etcd = try server.client()
            let fleet = try Fleet(etcd: etcd)
            for index in 0..<4 { try await fleet.add("node-\(index)") }
            try await fleet.settle()
            // Two members join and one crashes at once; then one more joins.
            try await fleet.add("node-4")
            try await fleet.add("node-5")
            try await fleet.crash(try TreePath(parsing: "node-1"))
            try await fleet.settle()
            try await fleet.add("node-6")
            try await fleet.settle()
            // A mark after the last change: the replay stops there (one revision may hold many events).
            _ = try await etcd.put(key: "arbor-test-end", value: [])

            let cluster = fleet.identities.cluster
            let ownership = AssignmentCoordinator.ownershipPrefix(cluster: cluster)
            let assignmentKey = ClusterRecordKey.assignments(cluster: cluster).text
            var holders: [String: String] = [:]
            var assignment: BranchAssignment?
            var revisions = Set<Int64>()
            var puts = 0
            // The whole history, one change at a time, from the first revision.
            for try await event in etcd.watch(prefix: "arbor", fromRevision: 1) {
                revisions.insert(event.modRevision)
                if event.key == assignmentKey {
                    let next = try BranchAssignment(encoded: try ClusterRecord(encoded: event.value).value)
                    #expect(next.generation > assignment?.generation ?? 0)
                    assignment = next
                } else if event.key.hasPrefix(ownership) {
                    let branch = String(event.key.dropFirst(ownership.count))
                    switch event.kind {
                    case .put:
                        puts += 1
                        let holder = String(decoding: event.value, as: UTF8.self)
                        #expect(
                            holders[branch] == nil, "revision \(event.modRevision): \(holder) took \(branch) from \(holders[branch] ?? "")")
                        #expect(assignment?.table[branch]?.description == holder, "\(holder) took \(branch) against the assignment")
                        holders[branch] = holder
                    case .delete:
                        holders[branch] = nil
                    }
                }
                if event.key == "arbor-test-end" { break }
            }
            #expect(assignment?.generation == 3)
            #expect(puts > Self.branches.count, "the rebalances moved branches")
            let now = try await fleet.holders()
            #expect(holders == now, "the replay ends where etcd is: \(holders.count) keys replayed, \(now.count) in etcd")
            Self.expectRendezvous(holders, members: fleet.members)
            print("\(revisions.count) revisions replayed, \(puts) branches taken, each checked")
        }
    }
}
