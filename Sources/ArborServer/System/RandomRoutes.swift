import Hummingbird

/// `GET /v1/sys/random/:bytes`: `{"random":"<base64>"}`. Needs the `random` operation.
struct RandomRoutes: NodeRoutes {
    let tokens: TokenService
    let random: RandomService

    struct Answer: ResponseEncodable {
        let random: String
    }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.get("sys/random/:bytes") { _, context -> Answer in
            try tokens.authorize(try context.requireToken(), .random, keyring: nil, logger: context.logger)
            guard let count = context.parameters.get("bytes", as: Int.self) else {
                throw NodeError(.badRequest, "the number of bytes in the path must be an integer")
            }
            return Answer(random: try random.randomBase64(count: count))
        }
    }
}
