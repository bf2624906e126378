import ArborCore
import ArborE2EE
import ArborOperations
import HTTPTypes
import Hummingbird

/// What every E2EE route needs before its use case: the store (503 on a node without one), the
/// signed-in device behind `Authorization: Bearer` (401 otherwise; failures count against the
/// address like a bad token), the body, and the clock.
struct E2EEGate: Sendable {
    let store: (any E2EEStore)?
    let challenges: LoginChallenges
    let notifier: StreamNotifier
    let clock: NodeClock
    let limits: NodeLimits
    let rateLimits: NodeRateLimits

    init(node: Node) {
        store = node.e2eeStore
        challenges = node.e2eeChallenges
        notifier = node.e2eeNotifier
        clock = node.clock
        limits = node.limits
        rateLimits = node.rateLimits
    }

    func requireStore() throws -> any E2EEStore {
        guard let store else { throw NodeError(.unavailable, "this node serves no end-to-end encrypted applications") }
        return store
    }

    /// The session of the request's bearer token.
    func caller(_ request: Request, _ context: NodeRequestContext) async throws -> DeviceSession {
        let sessions = E2EESessions(store: try requireStore())
        guard let token = Self.bearer(in: request.headers) else {
            throw NodeError(.missingToken, "this route needs a session in the Authorization header (Bearer)")
        }
        try rateLimits.reserveAuthentication(client: context.clientAddress)
        let session: DeviceSession?
        do {
            session = try await sessions.authenticate(token: token, now: clock.now())
        } catch {
            // Not the token's fault (the database, say): the attempt does not count.
            rateLimits.authenticationSucceeded(client: context.clientAddress)
            throw error
        }
        guard let session else { throw NodeError(.invalidToken, "the session is unknown, signed out or expired: sign in again") }
        rateLimits.authenticationSucceeded(client: context.clientAddress)
        return session
    }

    func body<Value: Decodable>(_ type: Value.Type, _ request: Request) async throws -> Value {
        try await JSONBody.decode(type, from: request, limit: limits.jsonBodyBytes)
    }

    static func bearer(in headers: HTTPFields) -> String? {
        guard let authorization = headers[.authorization] else { return nil }
        let scheme = "bearer "
        guard authorization.count > scheme.count, authorization.prefix(scheme.count).lowercased() == scheme else { return nil }
        return String(authorization.dropFirst(scheme.count))
    }
}

/// The E2EE routes' one mapping of their own: a caller acting for another account or outside its
/// conversations (`not authorised`) is 403, not a verification failure.
struct E2EEErrorMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ArborError where error.code == .notAuthorised {
            throw NodeError(.permissionDenied, error.message)
        }
    }
}

extension NodeRequestContext {
    /// A path parameter, parsed (a bad one is the parser's `invalid argument`, 422).
    func parameter<Value>(_ name: String, _ parse: (String) throws -> Value) throws -> Value {
        guard let text = parameters.get(name) else { throw NodeError(.badRequest, "the path has no \(name)") }
        return try parse(text)
    }
}

/// `body` with 201 Created.
func created(_ body: some ResponseEncodable, _ request: Request, _ context: NodeRequestContext) throws -> Response {
    var response = try body.response(from: request, context: context)
    response.status = .created
    return response
}
