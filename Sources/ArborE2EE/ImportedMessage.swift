import ArborCore
import Foundation

/// The plaintext of a message of kind `imported` (docs/e2ee.md §15): a legacy message as the
/// importing account found it, as UTF-8 JSON `{"author", "legacy_id", "sent_at", "text"}`. The
/// importer signs it; the original author and time are what the legacy store said, which nobody
/// can sign for after the fact, and readers show them as such.
public struct ImportedMessage: Codable, Sendable, Equatable {
    public var author: String
    public var legacyID: String
    /// Unix seconds, as the legacy store recorded it.
    public var sentAt: Int64
    public var text: String

    public init(author: String, legacyID: String, sentAt: Int64, text: String) {
        self.author = author
        self.legacyID = legacyID
        self.sentAt = sentAt
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case author
        case legacyID = "legacy_id"
        case sentAt = "sent_at"
        case text
    }

    public var plaintext: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding four plain fields cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    public init(plaintext: [UInt8]) throws {
        do {
            self = try JSONDecoder().decode(ImportedMessage.self, from: Data(plaintext))
        } catch {
            throw ArborError(.malformedInput, "an imported message is a JSON object with author, legacy_id, sent_at and text")
        }
    }
}
