import ArborCore
import HTTPTypes
import Hummingbird
import Logging

/// Authenticates every request behind it: the token comes from `X-Arbor-Token`, `X-Vault-Token`
/// (for the Transit surface) or `Authorization: Bearer`. No token, or one that is not valid, is
/// 401; the route itself authorizes its operation (403). An address that has failed too often is
/// 429 before its token is looked at, and a token over its request rate is 429.
struct TokenAuthenticator: RouterMiddleware {
    typealias Context = NodeRequestContext

    let tokens: TokenService
    let rateLimits: NodeRateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        try rateLimits.reserveAuthentication(client: context.clientAddress)
        let token: TokenRecord
        do {
            token = try await tokens.authenticate(Self.presentedToken(in: request.headers), logger: context.logger)
        } catch let error as NodeError where error.status == .unauthorized {
            throw error
        } catch {
            // Not the token's fault (the database, say): the attempt does not count.
            rateLimits.authenticationSucceeded(client: context.clientAddress)
            throw error
        }
        rateLimits.authenticationSucceeded(client: context.clientAddress)
        context.token = token
        AuditTrail.note(accessor: token.accessor)
        // Every later log line of the request names the token, by accessor.
        context.logger[metadataKey: "token.accessor"] = "\(token.accessor)"
        try rateLimits.takeRequest(token: token.accessor, client: context.clientAddress)
        return try await next(request, context)
    }

    /// The presented token, as secret bytes; nil if no header carries one.
    static func presentedToken(in headers: HTTPFields) -> SecretBytes? {
        for name in [HTTPField.Name.arborToken, .vaultToken] {
            if let value = headers[name] { return SecretBytes(copying: Array(value.utf8)) }
        }
        if let authorization = headers[.authorization] {
            let scheme = "bearer "
            guard authorization.utf8.count > scheme.utf8.count, authorization.prefix(scheme.count).lowercased() == scheme else {
                return nil
            }
            return SecretBytes(copying: Array(authorization.utf8.dropFirst(scheme.utf8.count)))
        }
        return nil
    }
}

/// The request rate on the routes open to anyone (health, the OpenAPI document), by client address.
struct OpenRouteRateLimit: RouterMiddleware {
    typealias Context = NodeRequestContext

    let rateLimits: NodeRateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try rateLimits.takeRequest(token: nil, client: context.clientAddress)
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let arborToken = HTTPField.Name("X-Arbor-Token")!
    static let vaultToken = HTTPField.Name("X-Vault-Token")!
}
