import ArborCore
import Hummingbird
import Logging

/// Writes one audit entry per request, after the answer is ready and before it is sent: the
/// token's accessor (masked), the operation and keyring the request was authorized for, how it
/// ended, and the client's address. If the entry cannot be written the request fails with 503, as
/// in Vault: nothing is answered that the log does not hold. Health checks are not audited.
struct AuditResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context == NodeRequestContext {
    typealias Context = NodeRequestContext

    let wrapped: Wrapped
    let audit: NodeAudit?
    let clock: NodeClock

    static var unaudited: Set<String> { ["/v1/sys/health", "/v1/sys/ready"] }

    func respond(to request: Request, context: Context) async throws -> Response {
        guard let audit, !Self.unaudited.contains(request.uri.path) else { return try await wrapped.respond(to: request, context: context) }
        let trail = AuditTrail()
        let response = try await AuditTrail.$current.withValue(trail) { try await wrapped.respond(to: request, context: context) }
        let notes = trail.snapshot
        do {
            try await audit.sink.append(
                time: clock.nowMilliseconds(), requestID: context.id, accessor: notes.accessor.map(audit.mask.mask) ?? "",
                // A request refused before any route authorized it is named by its method and path.
                operation: notes.operation ?? "\(request.method.rawValue) \(request.uri.path)", keyring: notes.keyring ?? "",
                result: response.status.code < 400 ? "ok" : notes.errorCode ?? "http \(response.status.code)",
                client: context.clientAddress)
        } catch {
            context.logger.critical("the audit log cannot be written; the request is answered 503", metadata: ["error": "\(error)"])
            var failed = try NodeError(.auditUnavailable, "the node cannot write its audit log, so it answers no request; see its log")
                .response(from: request, context: context)
            failed.headers[.requestID] = context.id
            return failed
        }
        return response
    }
}
