import ArborCore
import HTTPTypes
import Hummingbird
import Logging

/// Authenticates every request behind it: the token comes from `X-Arbor-Token`, `X-Vault-Token`
/// (for the Transit surface) or `Authorization: Bearer`. No token, or one that is not valid, is
/// 401; the route itself authorizes its operation (403).
struct TokenAuthenticator: RouterMiddleware {
    typealias Context = NodeRequestContext

    let tokens: TokenService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let token = try await tokens.authenticate(Self.presentedToken(in: request.headers), logger: context.logger)
        context.token = token
        AuditTrail.note(accessor: token.accessor)
        // Every later log line of the request names the token, by accessor.
        context.logger[metadataKey: "token.accessor"] = "\(token.accessor)"
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

extension HTTPField.Name {
    static let arborToken = HTTPField.Name("X-Arbor-Token")!
    static let vaultToken = HTTPField.Name("X-Vault-Token")!
}
