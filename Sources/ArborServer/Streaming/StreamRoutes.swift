import ArborCore
import ArborSeal
import Hummingbird

/// Streaming encryption with a keyring, in constant memory and with no body size limit (the JSON
/// limit does not apply; the server's idle timeout does):
///
/// - `POST /v1/keyrings/:name/stream/encrypt[?armor=true]`: any body in, an age v1 file out whose
///   only stanza is the keyring's `arbor-mesh` stanza (origin: this node). Needs `encrypt`.
/// - `POST /v1/keyrings/:name/stream/decrypt`: such a file in (binary or armored), the plaintext
///   out. Needs `decrypt`.
///
/// The file is the one `arbor encrypt --keyring` writes and `arbor decrypt --keyring` reads.
struct StreamRoutes: NodeRoutes {
    let tokens: TokenService
    let keyrings: SealedKeyringStore
    /// The node's path, recorded in each stanza as the sealing node.
    let origin: TreePath
    let clock: NodeClock

    init(node: Node) {
        tokens = node.tokens
        keyrings = SealedKeyringStore(database: node.database, clock: node.clock)
        origin = node.database.nodePath
        clock = node.clock
    }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("keyrings/:name/stream/encrypt") { request, context -> Response in
            let keyring = try await authorizedKeyring(.encrypt, context)
            let recipient = AgeRecipient.meshKeyring(keyring, origin: origin, time: clock.now() * 1000)
            return StreamEncryption.response(
                body: request.body, to: recipient, armored: try armorRequested(request), logger: context.logger)
        }
        group.post("keyrings/:name/stream/decrypt") { request, context -> Response in
            let decryption = StreamDecryption(body: request.body, keyring: try await authorizedKeyring(.decrypt, context))
            try await decryption.start()
            return decryption.response(logger: context.logger)
        }
    }

    /// The keyring of the path, once the token may use it for `operation`: 403 before 404, so a
    /// token learns nothing of keyrings it may not use.
    private func authorizedKeyring(_ operation: Operation, _ context: NodeRequestContext) async throws -> MeshKeyring {
        guard let name = context.parameters.get("name") else { throw NodeError(.badRequest, "the path names no keyring") }
        try tokens.authorize(try context.requireToken(), operation, keyring: name, logger: context.logger)
        guard let keyring = try await keyrings.load(name) else { throw NodeError(.notFound, "there is no keyring named '\(name)'") }
        return keyring
    }

    private func armorRequested(_ request: Request) throws -> Bool {
        switch request.uri.queryParameters.get("armor") {
        case nil, "false"?: false
        case "true"?: true
        default: throw NodeError(.badRequest, "armor must be true or false")
        }
    }
}
