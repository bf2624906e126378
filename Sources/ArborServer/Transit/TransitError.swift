import Foundation
import Hummingbird

/// Vault's error answer: a status and `{"errors":["…"]}`. Transit clients branch on the status
/// (403 for any authentication or policy failure, 404 for a missing key on a read, 400 for bad
/// input) and show the messages.
struct TransitError: Error {
    let status: HTTPResponse.Status
    let errors: [String]
    /// `Retry-After` on a 429.
    var retryAfterSeconds: Int?

    /// What Vault answers for a missing, wrong or insufficient token alike.
    static let permissionDenied = TransitError(status: .forbidden, errors: ["permission denied"])

    /// The Vault view of a node error: its message, with Vault's status for its kind.
    init(_ error: NodeError) {
        switch error.status {
        case .unauthorized, .forbidden: self = .permissionDenied
        case .notFound: self.init(status: .notFound, errors: [error.message])
        case .unprocessableContent, .conflict: self.init(status: .badRequest, errors: [error.message])
        default: self.init(status: error.status, errors: [error.message])
        }
        retryAfterSeconds = error.retryAfterSeconds
    }

    init(status: HTTPResponse.Status, errors: [String]) {
        self.status = status
        self.errors = errors
    }

    func response() throws -> Response {
        let body = try JSONEncoder().encode(["errors": errors])
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = "\(retryAfterSeconds)" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Wraps the Transit routes, their token check included, so that every error they raise takes
/// Vault's shape instead of the node's envelope; the audit entry still records the node's code.
struct TransitErrorMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as TransitError {
            AuditTrail.note(errorCode: error.status == .notFound ? "not_found" : "bad_request")
            return try error.response()
        } catch {
            let nodeError = ErrorEnvelopeResponder<RouterResponder<NodeRequestContext>>.nodeError(for: error, logger: context.logger)
            AuditTrail.note(errorCode: nodeError.code.description)
            return try TransitError(nodeError).response()
        }
    }
}
