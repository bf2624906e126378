import ArborOperations
import Hummingbird

/// `GET /v1/sys/health` (the process answers; with a `cluster` object when the node joined one)
/// and `GET /v1/sys/ready` (and can serve: its database answers). Open, as load balancers call
/// them without a token. A node cut off from etcd is still healthy: it serves with what it holds,
/// and says how stale that is.
struct HealthRoutes: NodeRoutes {
    let database: NodeDatabase
    var cluster: (any ClusterViewSource)? = nil
    var clock: NodeClock = .system

    struct Status: ResponseEncodable {
        let status: String
        var cluster: ClusterHealth? = nil
    }

    /// The cluster part of the health answer: no member names (the route is open), counts only.
    struct ClusterHealth: Encodable {
        let state: ClusterView.State
        /// Milliseconds since 1970 of the last contact with etcd.
        let lastSync: Int64?
        let staleForSeconds: Int64?
        let revision: Int64
        let members: Int
        /// With `arbor serve --branches`: how many seed-tree branches this node holds, and the
        /// generation of the assignment in force.
        let branches: Branches?

        struct Branches: Encodable {
            let held: Int
            let generation: UInt64
        }

        enum CodingKeys: String, CodingKey {
            case state, revision, members, branches
            case lastSync = "last_sync"
            case staleForSeconds = "stale_for_seconds"
        }

        init(_ view: ClusterView, now: Int64) {
            state = view.state
            lastSync = view.lastContact
            staleForSeconds = view.staleForSeconds(now: now)
            revision = view.revision
            members = view.members.count
            branches = view.branches.map { Branches(held: $0.held, generation: $0.generation) }
        }
    }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.get("sys/health") { _, _ in
            Status(status: "ok", cluster: cluster.map { ClusterHealth($0.currentView, now: clock.nowMilliseconds()) })
        }
        group.get("sys/ready") { _, _ -> Status in
            guard await database.isReady() else { throw NodeError(.unavailable, "the node database does not answer") }
            return Status(status: "ready")
        }
    }
}
