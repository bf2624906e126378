import ArborCore
import ArborOperations
import Foundation
import Hummingbird

/// Vault's Transit engine at `/v1/transit`, as a translation over the same `KeyringOperations` as
/// `/v1/keyrings`: a Transit key is a keyring, a key version an epoch. Writes answer both POST
/// (hvac) and PUT (the `vault`/`bao` CLIs). Each route authorizes the node operation it performs.
/// What differs from Vault is in docs/transit-compat.md.
struct TransitRoutes: NodeRoutes {
    let tokens: TokenService
    let operations: KeyringOperations<SealedKeyringStore>
    let owner: NodeSecret
    let clock: NodeClock
    let limits: NodeLimits
    let random: RandomService

    private var milliseconds: Int64 { clock.now() * 1000 }

    func register(on group: RouterGroup<NodeRequestContext>) {
        registerKeyRoutes(on: group)
        write("encrypt/:name", on: group) { request, context in
            let name = try authorize(.encrypt, context)
            let body = try await decode(TransitItemRequest.self, request)
            return try await upserting(name, type: body.type, context) {
                try answer(body, context) { items in
                    let reads = try read(items, name, field: \.plaintext) { try Base64Field.decode($0, field: "plaintext") }
                    return try operations.sealEach(name, reads, origin: owner.path, time: milliseconds).map { $0.map(Self.sealed) }
                }
            }
        }
        write("decrypt/:name", on: group) { request, context in
            let name = try authorize(.decrypt, context)
            let body = try await decode(TransitItemRequest.self, request)
            return try answer(body, context) { items in
                let reads = try read(items, name, field: \.ciphertext) { $0 }
                return try operations.openEach(name, reads).map { result in
                    result.map { plaintext in
                        var plaintext = plaintext
                        defer { plaintext.wipe() }
                        return TransitItemResult(plaintext: Base64Field.encode(plaintext))
                    }
                }
            }
        }
        write("rewrap/:name", on: group) { request, context in
            let name = try authorize(.rewrap, context)
            let body = try await decode(TransitItemRequest.self, request)
            let origin = KeyringOperations<SealedKeyringStore>.RewrapOrigin.replacedBy(owner.path)
            return try answer(body, context) { items in
                let reads = try read(items, name, field: \.ciphertext) { $0 }
                return try operations.rewrapEach(name, reads, origin: origin, time: milliseconds).map { $0.map(Self.sealed) }
            }
        }
        for mode in ["plaintext", "wrapped"] {
            write("datakey/\(mode)/:name", on: group) { request, context in
                let name = try authorize(.dataKey, context)
                let body = try await decode(TransitDataKeyRequest.self, request)
                guard body.bits == nil || body.bits == 8 * DataKey.size else {
                    throw ArborError(.invalidArgument, "Arbor's data keys are \(8 * DataKey.size) bits")
                }
                let keyContext = try Base64Field.decode(body.context ?? "", field: "context")
                let dataKey = try operations.dataKey(name, context: keyContext, origin: owner.path, time: milliseconds)
                var result = Self.sealed(dataKey.token)
                if mode == "plaintext" { result.plaintext = dataKey.key.withUnsafeBytes { Base64Field.encode($0) } }
                return try TransitEnvelope.response(result, context: context)
            }
        }
        write("random", on: group) { request, context in
            try tokens.authorize(try context.requireToken(), .random, keyring: nil, logger: context.logger)
            let body = try await decode(TransitRandomRequest.self, request)
            return try randomBytes(body.bytes ?? 32, format: body.format, context)
        }
        write("random/:bytes", on: group) { request, context in
            try tokens.authorize(try context.requireToken(), .random, keyring: nil, logger: context.logger)
            guard let count = context.parameters.get("bytes", as: Int.self) else {
                throw TransitError(status: .badRequest, errors: ["the number of bytes in the path must be an integer"])
            }
            return try randomBytes(count, format: try await decode(TransitRandomRequest.self, request).format, context)
        }
    }

    private func registerKeyRoutes(on group: RouterGroup<NodeRequestContext>) {
        write("keys/:name", on: group) { request, context in
            let name = try authorize(.keyringCreate, context)
            let cipher = try TransitKeyType.cipher(try await decode(TransitKeyCreateRequest.self, request).type)
            do {
                return try key(try operations.create(name, owner: owner, cipher: cipher), context)
            } catch let error as ArborError where error.category == .alreadyExists {
                // Vault's create is idempotent: the key as it is.
                return try key(try operations.summary(name), context)
            }
        }
        group.get("keys/:name") { _, context -> Response in
            let name = try authorize(.keyringRead, context)
            do {
                return try key(try operations.summary(name), context)
            } catch let error as ArborError where error.category == .notFound {
                throw TransitError(status: .notFound, errors: [])
            }
        }
        write("keys/:name/rotate", on: group) { _, context in
            let name = try authorize(.keyringRotate, context)
            return try key(try operations.rotate(name, owner: owner, descendToOwner: true), context)
        }
        write("keys/:name/config", on: group) { request, context in
            let name = try authorize(.keyringConfigure, context)
            let body = try await decode(TransitKeyConfigRequest.self, request)
            guard let minimum = body.minDecryptionVersion, minimum > 0 else { return try key(try operations.summary(name), context) }
            guard let below = UInt32(exactly: minimum) else {
                throw ArborError(.invalidArgument, "min_decryption_version must be a version, from 1 to \(UInt32.max)")
            }
            return try key(try operations.retire(name, below: below).summary, context)
        }
    }

    // MARK: - Translation

    /// A token as Vault's `ciphertext` and `key_version`.
    private static func sealed(_ token: MeshToken) -> TransitItemResult {
        TransitItemResult(ciphertext: token.text, keyVersion: token.provenance.epoch)
    }

    /// The items as batch reads. An item without its field, with bad base64, or asking for a
    /// `key_version` other than the active one (Arbor seals with the active epoch only) fails alone.
    private func read<Input>(
        _ items: [TransitItem], _ name: String, field: KeyPath<TransitItem, String?>, _ parse: (String) throws -> Input
    ) throws -> [KeyringBatch.Read<Input>] {
        try limits.checkBatch(count: items.count)
        let asked = items.compactMap(\.keyVersion).filter { $0 != 0 }
        let active = asked.isEmpty ? nil : try operations.summary(name).activeEpoch
        return items.map { item in
            Result {
                if let version = item.keyVersion, version != 0, version != active {
                    throw ArborError(
                        .invalidArgument, "key_version \(version) is not the latest version \(active ?? 0); Arbor seals with the latest")
                }
                guard let value = item[keyPath: field] else {
                    throw ArborError(.invalidArgument, "missing '\(field == \TransitItem.plaintext ? "plaintext" : "ciphertext")'")
                }
                return KeyringBatch.Item(try parse(value), context: try Base64Field.decode(item.context ?? "", field: "context"))
            }.mapError { $0 as? ArborError ?? ArborError(.invalidArgument, "the item could not be read") }
        }
    }

    /// Runs `process` on the request's items. A single item answers its result or its error; a
    /// batch answers every result in order, each echoing its `reference`, with 400 (as Vault)
    /// only when no item succeeded.
    private func answer(
        _ body: TransitItemRequest, _ context: NodeRequestContext,
        _ process: ([TransitItem]) throws -> [Result<TransitItemResult, ArborError>]
    ) throws -> Response {
        let items = body.items
        let results = try process(items)
        guard body.batchInput != nil else { return try TransitEnvelope.response(try results[0].get(), context: context) }
        let answered = zip(items, results).map { item, result in
            var answer: TransitItemResult
            switch result {
            case .success(let value): answer = value
            case .failure(let error): answer = TransitItemResult(error: NodeError(arbor: error).message)
            }
            answer.reference = item.reference ?? ""
            return answer
        }
        let failed = results.allSatisfy { if case .failure = $0 { true } else { false } }
        return try TransitEnvelope.response(
            TransitBatchResults(batchResults: answered), status: failed ? .badRequest : .ok, context: context)
    }

    /// Runs `body`; if the key does not exist, creates it (Vault's encrypt upserts), which needs
    /// `keyring.create` too, and runs `body` again.
    private func upserting(
        _ name: String, type: String?, _ context: NodeRequestContext, _ body: () throws -> Response
    ) async throws -> Response {
        do {
            return try body()
        } catch let error as ArborError where error.category == .notFound {
            try tokens.authorize(try context.requireToken(), .keyringCreate, keyring: name, logger: context.logger)
            do {
                _ = try operations.create(name, owner: owner, cipher: try TransitKeyType.cipher(type))
            } catch let error as ArborError where error.category == .alreadyExists {}
            return try body()
        }
    }

    private func key(_ summary: KeyringSummary, _ context: NodeRequestContext) throws -> Response {
        try TransitEnvelope.response(TransitKeyView(summary: summary), context: context)
    }

    private func randomBytes(_ count: Int, format: String?, _ context: NodeRequestContext) throws -> Response {
        let encoded = try random.randomBase64(count: count)
        switch format ?? "base64" {
        case "base64": return try TransitEnvelope.response(TransitRandomBytes(randomBytes: encoded), context: context)
        case "hex":
            let hex = Hex.encode(Array(Data(base64Encoded: encoded) ?? Data()))
            return try TransitEnvelope.response(TransitRandomBytes(randomBytes: hex), context: context)
        default: throw ArborError(.invalidArgument, "format must be base64 or hex")
        }
    }

    private func decode<Value: TransitRequest>(_ type: Value.Type, _ request: Request) async throws -> Value {
        try await JSONBody.decode(TransitBody<Value>.self, from: request, limit: limits.jsonBodyBytes).request
    }

    /// Registers a write for both POST and PUT.
    private func write(
        _ path: String, on group: RouterGroup<NodeRequestContext>,
        _ handler: @escaping @Sendable (Request, NodeRequestContext) async throws -> Response
    ) {
        group.post(RouterPath(path), use: handler)
        group.put(RouterPath(path), use: handler)
    }

    private func authorize(_ operation: Operation, _ context: NodeRequestContext) throws -> String {
        guard let name = context.parameters.get("name") else { throw TransitError(status: .badRequest, errors: ["missing key name"]) }
        try tokens.authorize(try context.requireToken(), operation, keyring: name, logger: context.logger)
        return name
    }
}
