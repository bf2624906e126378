import ArborCore
import Hummingbird

/// `GET /v1/sys/audit/head`: the audit log's latest signed head, exactly the line the log holds,
/// so it can be kept away from the node (a monitoring system polls it) and later given to
/// `arbor audit verify --head`, which then catches a log cut back past it. Needs `audit.read`.
struct AuditHeadRoutes: NodeRoutes {
    let tokens: TokenService
    let audit: NodeAudit?

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.get("sys/audit/head") { _, context -> Response in
            try tokens.authorize(try context.requireToken(), .auditRead, keyring: nil, logger: context.logger)
            guard let audit else { throw NodeError(.notFound, "this node keeps no audit log") }
            guard let head = audit.sink.lastHead else {
                throw NodeError(.notFound, "no audit head is signed yet; the node signs one every 10 seconds and at shutdown")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: AuditRecord.head(head).line + "\n")))
        }
    }
}
