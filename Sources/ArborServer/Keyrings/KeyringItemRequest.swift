import ArborCore
import ArborOperations
import Foundation

/// The body of `encrypt`, `decrypt` and `rewrap`: one item (`plaintext` in base64 to encrypt,
/// `ciphertext` as `arbor:v1:` token text otherwise, and an optional base64 `context`), or
/// `batch_input`, a list of such items; and options for the whole request: `sign_origin`
/// (encrypt, rewrap), `require_signed_origin` and `reject_replay` (decrypt).
struct KeyringItemRequest: Decodable {
    struct Item: Decodable {
        let plaintext: String?
        let ciphertext: String?
        let context: String?
    }

    let item: Item
    let batchInput: [Item]?
    /// The tokens carry the node's hybrid origin signature.
    let signOrigin: Bool
    /// An unsigned token, or one whose signer is not this node, is refused (`origin_not_verified`).
    let requireSignedOrigin: Bool
    /// A token already opened within the replay window, or dated outside it, is refused (`replayed`).
    let rejectReplay: Bool

    private enum CodingKeys: String, CodingKey {
        case batchInput = "batch_input"
        case signOrigin = "sign_origin"
        case requireSignedOrigin = "require_signed_origin"
        case rejectReplay = "reject_replay"
    }

    init(from decoder: any Decoder) throws {
        item = try Item(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        batchInput = try container.decodeIfPresent([Item].self, forKey: .batchInput)
        signOrigin = try container.decodeIfPresent(Bool.self, forKey: .signOrigin) ?? false
        requireSignedOrigin = try container.decodeIfPresent(Bool.self, forKey: .requireSignedOrigin) ?? false
        rejectReplay = try container.decodeIfPresent(Bool.self, forKey: .rejectReplay) ?? false
    }

    /// The request options, by their wire names.
    enum Option: String {
        case signOrigin = "sign_origin"
        case requireSignedOrigin = "require_signed_origin"
        case rejectReplay = "reject_replay"
    }

    /// Refuses an option this route does not apply, so a caller never believes a check was made.
    func refuseOptions(except allowed: Set<Option>) throws {
        let given: [(Option, Bool)] = [
            (.signOrigin, signOrigin), (.requireSignedOrigin, requireSignedOrigin), (.rejectReplay, rejectReplay),
        ]
        if let (option, _) = given.first(where: { $0.1 && !allowed.contains($0.0) }) {
            throw NodeError(.invalidRequest, "'\(option.rawValue)' does not apply to this route")
        }
    }

    /// Which field carries an item's input.
    enum Field: String {
        case plaintext, ciphertext
    }

    /// The single item, read; a bad field is the request's 422.
    func single<Input>(_ field: Field, _ read: (String) throws -> Input) throws -> KeyringBatch.Item<Input> {
        try Self.read(item, field, read).get()
    }

    /// The batch's items, each read on its own: one that cannot be read fails alone.
    func batch<Input>(_ field: Field, _ read: (String) throws -> Input) throws -> [KeyringBatch.Read<Input>]? {
        guard let batchInput else { return nil }
        guard item.plaintext == nil, item.ciphertext == nil, item.context == nil else {
            throw NodeError(.invalidRequest, "send either a single item or 'batch_input', not both")
        }
        return batchInput.map { Self.read($0, field, read) }
    }

    private static func read<Input>(_ item: Item, _ field: Field, _ read: (String) throws -> Input) -> KeyringBatch.Read<Input> {
        Result {
            guard let value = field == .plaintext ? item.plaintext : item.ciphertext else {
                throw ArborError(.invalidArgument, "the field '\(field)' is required")
            }
            return KeyringBatch.Item(try read(value), context: try Base64Field.decode(item.context ?? "", field: "context"))
        }.mapError { $0 as? ArborError ?? ArborError(.invalidArgument, "the item could not be read") }
    }
}

/// Bytes in JSON are standard base64.
enum Base64Field {
    static func decode(_ text: String, field: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text) else {
            throw ArborError(.invalidArgument, "the field '\(field)' is not valid base64")
        }
        return Array(data)
    }

    static func encode(_ bytes: some Sequence<UInt8>) -> String { Data(bytes).base64EncodedString() }
}
