import Hummingbird

/// `GET /v1/sys/health` (the process answers) and `GET /v1/sys/ready` (and can serve: its
/// database answers). Open, as load balancers call them without a token.
struct HealthRoutes: NodeRoutes {
    let database: NodeDatabase

    struct Status: ResponseEncodable {
        let status: String
    }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.get("sys/health") { _, _ in Status(status: "ok") }
        group.get("sys/ready") { _, _ -> Status in
            guard await database.isReady() else { throw NodeError(.unavailable, "the node database does not answer") }
            return Status(status: "ready")
        }
    }
}
