import ArborE2EE
import ArborOperations
import Hummingbird

/// Conversations, envelopes and messages (docs/e2ee.md §16), for signed-in devices:
///
/// - `POST /v1/e2ee/conversations`, `GET /v1/e2ee/conversations`, `GET /v1/e2ee/conversations/{c}`,
///   `DELETE /v1/e2ee/conversations/{c}` (its creator).
/// - `POST /v1/e2ee/conversations/{c}/envelopes`: add to the newest epoch, or open the next.
/// - `POST /v1/e2ee/conversations/{c}/messages`, `GET …/messages?after=&limit=`.
struct E2EEConversationRoutes: NodeRoutes {
    static let defaultPage = 100

    let gate: E2EEGate

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("conversations") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let body = try await gate.body(CreateConversationBody.self, request)
            let id = try ConversationID(hex: body.conversation)
            try await E2EEConversations(store: try gate.requireStore()).create(
                by: caller.account, id: id, nonce: body.nonce.bytes, envelopes: body.envelopes.map(\.bytes), now: gate.clock.now())
            return try created(ConversationCreatedBody(conversation: id.hex), request, context)
        }
        group.get("conversations") { request, context in
            let caller = try await gate.caller(request, context)
            let ids = try await E2EEConversations(store: try gate.requireStore()).conversations(of: caller.account)
            return ConversationListBody(conversations: ids.map(\.hex))
        }
        group.get("conversations/:conversation") { request, context in
            let caller = try await gate.caller(request, context)
            let id = try context.parameter("conversation", ConversationID.init(hex:))
            let (conversation, envelopes) = try await E2EEConversations(store: try gate.requireStore()).conversation(
                id, for: caller.account)
            return ConversationBody(conversation, envelopes: envelopes)
        }
        group.delete("conversations/:conversation") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let id = try context.parameter("conversation", ConversationID.init(hex:))
            try await E2EEConversations(store: try gate.requireStore()).delete(id, by: caller.account)
            return Response(status: .noContent)
        }
        group.post("conversations/:conversation/envelopes") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let id = try context.parameter("conversation", ConversationID.init(hex:))
            let body = try await gate.body(EnvelopesBody.self, request)
            try await E2EEConversations(store: try gate.requireStore()).addEnvelopes(
                body.envelopes.map(\.bytes), to: id, by: caller.account)
            return Response(status: .noContent)
        }
        group.post("conversations/:conversation/messages") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let id = try context.parameter("conversation", ConversationID.init(hex:))
            let body = try await gate.body(MessageBody.self, request)
            let position = try await E2EEMessages(store: try gate.requireStore()).post(body.message.bytes, to: id, by: caller.account)
            return try created(PositionBody(position: position), request, context)
        }
        group.get("conversations/:conversation/messages") { request, context in
            let caller = try await gate.caller(request, context)
            let id = try context.parameter("conversation", ConversationID.init(hex:))
            let after = try Self.integer(request, "after") ?? 0
            let limit = try Self.integer(request, "limit") ?? Int64(Self.defaultPage)
            let messages = try await E2EEMessages(store: try gate.requireStore()).messages(
                in: id, after: after, limit: Int(clamping: limit), for: caller.account)
            return MessagesBody(messages)
        }
    }

    static func integer(_ request: Request, _ name: String) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int64(text) else { throw NodeError(.badRequest, "\(name) is an integer") }
        return value
    }
}
