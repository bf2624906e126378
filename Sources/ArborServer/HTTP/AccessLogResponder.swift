import Hummingbird
import Logging

/// One log line per request: method, path (without the query), status, and the request id the
/// logger already carries. Never headers or bodies: they hold tokens and plaintext.
struct AccessLogResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context == NodeRequestContext {
    typealias Context = NodeRequestContext

    let wrapped: Wrapped

    func respond(to request: Request, context: Context) async throws -> Response {
        let response = try await wrapped.respond(to: request, context: context)
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)",
                "http.status": "\(response.status.code)",
            ])
        return response
    }
}
