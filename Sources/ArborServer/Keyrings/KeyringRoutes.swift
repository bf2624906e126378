import ArborCore
import ArborOperations
import Hummingbird

/// Arbor's keyring API under `/v1/keyrings`: create, list, read, rotate, configure (retire
/// below an epoch), encrypt, decrypt, rewrap (one item or a batch) and data keys. Every route
/// authorizes its operation on the keyring's name, then calls one `KeyringOperations` use case;
/// the node is the owner of the keyrings it creates and the origin of the tokens it seals.
struct KeyringRoutes: NodeRoutes {
    let tokens: TokenService
    let operations: KeyringOperations<SealedKeyringStore>
    /// The node's own secret: keyring seeds derive from it, and its path is the tokens' origin.
    let owner: NodeSecret
    /// The node's keys and chain: the origin signatures it makes and trusts.
    let identity: NodeSigningIdentity?
    /// The replay guard's memory, for `reject_replay`.
    let replayState: DatabaseStateStore
    let clock: NodeClock
    let limits: NodeLimits

    /// Token times are Unix milliseconds; the node's clock counts seconds.
    private var milliseconds: Int64 { clock.now() * 1000 }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("keyrings") { request, context -> Response in
            let body = try await JSONBody.decode(KeyringCreateRequest.self, from: request, limit: limits.jsonBodyBytes)
            try authorize(.keyringCreate, body.name, context)
            let created = KeyringView(try operations.create(body.name, owner: owner, cipher: try body.parsedCipher))
            var response = try created.response(from: request, context: context)
            response.status = .created
            return response
        }
        group.get("keyrings") { _, context -> KeyringList in
            try tokens.authorize(try context.requireToken(), .keyringList, keyring: nil, logger: context.logger)
            return KeyringList(keyrings: try operations.list().map(KeyringView.init))
        }
        group.get("keyrings/:name") { _, context -> KeyringView in
            let name = try authorize(.keyringRead, context)
            return KeyringView(try operations.summary(name))
        }
        group.post("keyrings/:name/rotate") { _, context -> KeyringView in
            let name = try authorize(.keyringRotate, context)
            return KeyringView(try operations.rotate(name, owner: owner, descendToOwner: true))
        }
        group.post("keyrings/:name/config") { request, context -> KeyringView in
            let name = try authorize(.keyringConfigure, context)
            let body = try await JSONBody.decode(KeyringConfigRequest.self, from: request, limit: limits.jsonBodyBytes)
            return KeyringView(try operations.retire(name, below: body.minDecryptionEpoch).summary)
        }
        registerItemRoutes(on: group)
        group.post("keyrings/:name/datakey") { request, context -> KeyringItemResponse in
            let name = try authorize(.dataKey, context)
            let body = try await JSONBody.decode(DataKeyRequest.self, from: request, limit: limits.jsonBodyBytes)
            let context = try Base64Field.decode(body.context ?? "", field: "context")
            let dataKey = try operations.dataKey(name, context: context, origin: owner.path, time: milliseconds)
            var answer = KeyringItemResponse.token(dataKey.token)
            if body.mode == .plaintext { answer.plaintext = dataKey.key.withUnsafeBytes { Base64Field.encode($0) } }
            return answer
        }
    }

    private func registerItemRoutes(on group: RouterGroup<NodeRequestContext>) {
        group.post("keyrings/:name/encrypt") { request, context -> Response in
            let name = try authorize(.encrypt, context)
            let body = try await JSONBody.decode(KeyringItemRequest.self, from: request, limit: limits.jsonBodyBytes)
            try body.refuseOptions(except: [.signOrigin])
            let read = { (text: String) in try Base64Field.decode(text, field: "plaintext") }
            let signer = body.signOrigin ? try signingIdentity().keys : nil
            if let items = try body.batch(.plaintext, read) {
                try limits.checkBatch(count: items.count)
                let results = try operations.sealEach(name, items, origin: owner.path, time: milliseconds, signer: signer)
                return try KeyringBatchResponse(results, KeyringItemResponse.token).response(from: request, context: context)
            }
            let item = try body.single(.plaintext, read)
            let token = try operations.seal(
                name, plaintext: item.input, context: item.context, origin: owner.path, time: milliseconds, signer: signer)
            return try KeyringItemResponse.token(token).response(from: request, context: context)
        }
        group.post("keyrings/:name/decrypt") { request, context -> Response in
            let name = try authorize(.decrypt, context)
            let body = try await JSONBody.decode(KeyringItemRequest.self, from: request, limit: limits.jsonBodyBytes)
            try body.refuseOptions(except: [.requireSignedOrigin, .rejectReplay])
            let check = OriginCheck(
                trusted: try trustedOrigins(required: body.requireSignedOrigin), requireSigned: body.requireSignedOrigin)
            let replay =
                body.rejectReplay ? try ReplayCheck(store: replayState, windowSeconds: Self.replayWindowSeconds, now: milliseconds) : nil
            if let items = try body.batch(.ciphertext, { $0 }) {
                try limits.checkBatch(count: items.count)
                let results = try operations.openEach(name, items, check: check, replay: replay)
                return try KeyringBatchResponse(results, KeyringItemResponse.opened).response(from: request, context: context)
            }
            let item = try body.single(.ciphertext, { $0 })
            let opened = try operations.open(name, tokenText: item.input, context: item.context, check: check, replay: replay)
            return try KeyringItemResponse.opened(opened).response(from: request, context: context)
        }
        group.post("keyrings/:name/rewrap") { request, context -> Response in
            let name = try authorize(.rewrap, context)
            let body = try await JSONBody.decode(KeyringItemRequest.self, from: request, limit: limits.jsonBodyBytes)
            try body.refuseOptions(except: [.signOrigin])
            let origin = try rewrapOrigin(keepSigned: body.signOrigin)
            if let items = try body.batch(.ciphertext, { $0 }) {
                try limits.checkBatch(count: items.count)
                let results = try operations.rewrapEach(name, items, origin: origin, time: milliseconds)
                return try KeyringBatchResponse(results, KeyringItemResponse.token).response(from: request, context: context)
            }
            let item = try body.single(.ciphertext, { $0 })
            let token = try operations.rewrap(name, tokenText: item.input, context: item.context, origin: origin, time: milliseconds)
            return try KeyringItemResponse.token(token).response(from: request, context: context)
        }
    }

    /// How far a token's time may be from the node's clock under `reject_replay`, either way: as
    /// `arbor keyring open --replay-window`'s default.
    static let replayWindowSeconds: Int64 = 300

    private func signingIdentity() throws -> NodeSigningIdentity {
        guard let identity else {
            throw NodeError(.unavailable, "this node was started without its certificate chain, so it makes and checks no origin signature")
        }
        return identity
    }

    /// The signers whose origin signatures decrypt verifies: this node.
    private func trustedOrigins(required: Bool) throws -> [TreePath: PublicKeySet] {
        guard let keys = required ? try signingIdentity().keys : identity?.keys else { return [:] }
        return [keys.path: keys.publicKeys]
    }

    /// Rewrap names the node as the new origin, unsigned; with `sign_origin` it keeps the token's
    /// origin instead, which must be signed by this node, and signs the new token.
    private func rewrapOrigin(keepSigned: Bool) throws -> KeyringOperations<SealedKeyringStore>.RewrapOrigin {
        guard keepSigned else { return .replacedBy(owner.path) }
        let keys = try signingIdentity().keys
        let trusted = [keys.path: keys.publicKeys]
        return .attested(policy: .requireSignature(minimum: .hybrid) { trusted[$0] }, attester: keys)
    }

    /// Authorizes `operation` on the keyring named in the path, and returns that name.
    private func authorize(_ operation: Operation, _ context: NodeRequestContext) throws -> String {
        guard let name = context.parameters.get("name") else { throw NodeError(.badRequest, "the keyring name is missing") }
        try authorize(operation, name, context)
        return name
    }

    private func authorize(_ operation: Operation, _ name: String, _ context: NodeRequestContext) throws {
        try tokens.authorize(try context.requireToken(), operation, keyring: name, logger: context.logger)
    }
}
