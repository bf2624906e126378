import ArborCore
import ArborOperations
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Wraps the whole router so that every answer, a route's or the router's own 404 and 405,
/// carries the error envelope and the request id. Known errors become their 4xx; anything else is
/// a 500 whose detail goes to the log only.
struct ErrorEnvelopeResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context == NodeRequestContext {
    typealias Context = NodeRequestContext

    let wrapped: Wrapped

    func respond(to request: Request, context: Context) async throws -> Response {
        var response: Response
        do {
            response = try await wrapped.respond(to: request, context: context)
            // The router answers an unknown path (or a known path with another method) with a
            // bare 404 of its own.
            if response.status.code >= 400, response.body.contentLength == 0 {
                response = try Self.bareError(response.status).response(from: request, context: context)
            }
        } catch {
            let nodeError = Self.nodeError(for: error, logger: context.logger)
            response = try nodeError.response(from: request, context: context)
        }
        response.headers[.requestID] = context.id
        return response
    }

    static func bareError(_ status: HTTPResponse.Status) -> NodeError {
        switch status {
        case .notFound: NodeError(.notFound, "no such route (or not with this method)")
        case .contentTooLarge: NodeError(.bodyTooLarge, "the request body is larger than this route accepts")
        case .badRequest: NodeError(.badRequest, "the request could not be parsed")
        default: NodeError(.internalError, "the node failed to handle the request; its log has the detail")
        }
    }

    /// The envelope for a thrown error. Hummingbird's own errors keep their status; Arbor's domain
    /// errors are the caller's mistakes (their messages never hold secrets); the rest is ours.
    static func nodeError(for error: any Error, logger: Logger) -> NodeError {
        switch error {
        case let error as NodeError:
            return error
        case is NIOTooManyBytesError:
            return NodeError(.bodyTooLarge, "the request body is larger than this route accepts")
        case let error as HTTPError where [.notFound, .contentTooLarge, .badRequest].contains(error.status):
            return bareError(error.status)
        case let error as ArborError:
            let mapped = NodeError(arbor: error)
            guard mapped.code == .internalError else { return mapped }
            // An ArborError's message never holds a secret; it is the detail the operator needs.
            logger.error("request failed", metadata: ["error.code": "\(error.code)", "error": "\(error.message)"])
            return mapped
        default:
            break
        }
        // The type and description of an unknown error go to the log, never to the caller.
        logger.error("request failed", metadata: ["error.type": "\(type(of: error))", "error": "\(error)"])
        return NodeError(.internalError, "the node failed to handle the request; its log has the detail")
    }
}

extension NodeError {
    /// The HTTP view of an Arbor domain error, by its category (`ArborOperations`): bad input is
    /// 422, what did not verify is 400 with the domain code, and only what the node cannot
    /// explain (damaged storage, I/O, no randomness) is a 500.
    init(arbor error: ArborError) {
        let code: Code =
            switch error.category {
            case .badInput: .invalidRequest
            case .verificationFailed, .authentication: .verificationFailed(error.code)
            case .notFound: .notFound
            case .alreadyExists, .conflict: .conflict
            case .limit: .limitExceeded
            case .corrupt, .io, .internal: .internalError
            }
        self.init(code, code == .internalError ? "the node failed to handle the request; its log has the detail" : error.message)
    }
}

extension HTTPField.Name {
    /// Echoed on every response; the same id is in every log line of the request.
    static let requestID = HTTPField.Name("X-Request-Id")!
}
