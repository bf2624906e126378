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
            let read = { (text: String) in try Base64Field.decode(text, field: "plaintext") }
            if let items = try body.batch(.plaintext, read) {
                try limits.checkBatch(count: items.count)
                let results = try operations.sealEach(name, items, origin: owner.path, time: milliseconds)
                return try KeyringBatchResponse(results, KeyringItemResponse.token).response(from: request, context: context)
            }
            let item = try body.single(.plaintext, read)
            let token = try operations.seal(name, plaintext: item.input, context: item.context, origin: owner.path, time: milliseconds)
            return try KeyringItemResponse.token(token).response(from: request, context: context)
        }
        group.post("keyrings/:name/decrypt") { request, context -> Response in
            let name = try authorize(.decrypt, context)
            let body = try await JSONBody.decode(KeyringItemRequest.self, from: request, limit: limits.jsonBodyBytes)
            if let items = try body.batch(.ciphertext, { $0 }) {
                try limits.checkBatch(count: items.count)
                let results = try operations.openEach(name, items)
                return try KeyringBatchResponse(results, KeyringItemResponse.bytes).response(from: request, context: context)
            }
            let item = try body.single(.ciphertext, { $0 })
            let plaintext = try operations.open(name, tokenText: item.input, context: item.context)
            return try KeyringItemResponse.bytes(plaintext).response(from: request, context: context)
        }
        group.post("keyrings/:name/rewrap") { request, context -> Response in
            let name = try authorize(.rewrap, context)
            let body = try await JSONBody.decode(KeyringItemRequest.self, from: request, limit: limits.jsonBodyBytes)
            let origin = KeyringOperations<SealedKeyringStore>.RewrapOrigin.replacedBy(owner.path)
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
