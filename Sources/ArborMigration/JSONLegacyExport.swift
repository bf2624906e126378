import ArborCore
import Foundation

/// A JSON export of a legacy chat store (docs/e2ee.md §15): `{"conversations": [{"id", "title",
/// "participants", "messages": [{"id", "author", "sent_at", "text"}]}]}`. Purging deletes the file,
/// since an export holds nothing else.
public struct JSONLegacyExport: LegacyStore {
    struct Export: Codable {
        struct Conversation: Codable {
            var id: String
            var title: String?
            var participants: [String]
            var messages: [LegacyMessage]
        }
        var conversations: [Conversation]
    }

    let path: String
    let export: Export

    public init(path: String) throws {
        self.path = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ArborError(.fileNotFound, "cannot read the legacy export \(path)")
        }
        do {
            export = try JSONDecoder().decode(Export.self, from: data)
        } catch {
            throw ArborError(.malformedInput, "\(path) is not a legacy chat export (docs/e2ee.md §15)")
        }
    }

    public func conversations(of participant: String?) throws -> [LegacyConversation] {
        export.conversations.filter { conversation in participant.map { conversation.participants.contains($0) } ?? true }
            .map { LegacyConversation(id: $0.id, title: $0.title ?? "", participants: $0.participants.sorted()) }
            .sorted { $0.id < $1.id }
    }

    public func messageCount(in conversation: String) throws -> Int { ordered(conversation).count }

    public func messages(in conversation: String, offset: Int, limit: Int) throws -> [LegacyMessage] {
        Array(ordered(conversation).dropFirst(offset).prefix(limit))
    }

    public func purge(conversations: [String]) throws {
        try FileManager.default.removeItem(atPath: path)
    }

    private func ordered(_ conversation: String) -> [LegacyMessage] {
        (export.conversations.first { $0.id == conversation }?.messages ?? [])
            .sorted { ($0.sentAt, $0.id) < ($1.sentAt, $1.id) }
    }
}
