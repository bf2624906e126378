import Hummingbird

/// `POST /v1/auth/token/create`, `GET /v1/auth/token/lookup-self`,
/// `POST /v1/auth/token/revoke-self`. Any valid token may look itself up and revoke itself;
/// creating needs `token.create`.
struct TokenRoutes: NodeRoutes {
    let tokens: TokenService
    let limits: NodeLimits

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("auth/token/create") { request, context -> Response in
            let body = try await JSONBody.decode(TokenCreateRequest.self, from: request, limit: limits.jsonBodyBytes)
            let created = try await tokens.create(body, by: try context.requireToken(), logger: context.logger)
            var response = try created.response(from: request, context: context)
            response.status = .created
            return response
        }
        group.get("auth/token/lookup-self") { _, context in
            TokenView(try context.requireToken())
        }
        group.post("auth/token/revoke-self") { _, context -> Response in
            try await tokens.revoke(try context.requireToken(), logger: context.logger)
            return Response(status: .noContent)
        }
    }
}

extension TokenView: ResponseEncodable {}
extension CreatedToken: ResponseEncodable {}
