import Foundation

/// A line of the audit log: an entry, or a signed head. One JSON object per line (JSON Lines),
/// keys sorted; byte strings are lower-case hex, the signature base64. See docs/audit.md.
public enum AuditRecord: Sendable, Equatable {
    case entry(AuditEntry)
    case head(AuditHead)

    /// The flat JSON shape of both kinds, as read; `type` says which.
    struct Line: Decodable {
        var type: String
        var seq: UInt64
        var time: Int64
        var hash: String
        // Entries.
        var requestId: String?
        var accessor: String?
        var operation: String?
        var keyring: String?
        var result: String?
        var client: String?
        var prev: String?
        // Heads.
        var signer: String?
        var signature: String?
    }

    /// The line, without its newline: the JSON object with sorted keys and no spaces, as
    /// Python's `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes it.
    /// Written by hand rather than by `JSONEncoder`, because the node writes one per request.
    public var line: String {
        var writer = JSONLineWriter()
        switch self {
        case .entry(let entry):
            writer.member("accessor", string: entry.accessor)
            writer.member("client", string: entry.client)
            writer.member("hash", string: Hex.encode(entry.hash))
            writer.member("keyring", string: entry.keyring)
            writer.member("operation", string: entry.operation)
            writer.member("prev", string: Hex.encode(entry.previousHash))
            writer.member("request_id", string: entry.requestID)
            writer.member("result", string: entry.result)
            writer.member("seq", number: "\(entry.sequence)")
            writer.member("time", number: "\(entry.time)")
            writer.member("type", string: "entry")
        case .head(let head):
            writer.member("hash", string: Hex.encode(head.hash))
            writer.member("seq", number: "\(head.sequence)")
            writer.member("signature", string: Data(head.signatureBytes).base64EncodedString())
            writer.member("signer", string: head.signerKeyID.hex)
            writer.member("time", number: "\(head.time)")
            writer.member("type", string: "head")
        }
        return writer.finish()
    }

    /// Parses a line. An entry whose recorded hash is not the hash of its fields is refused here
    /// (`authentication failed`): it was edited.
    public init(line text: some StringProtocol) throws {
        let line: Line
        do {
            line = try Self.decoder.decode(Line.self, from: Data(text.utf8))
        } catch {
            throw ArborError(.corruptFile, "not an audit log line (\(Self.describe(error)))")
        }
        switch line.type {
        case "entry":
            guard let requestID = line.requestId, let accessor = line.accessor, let operation = line.operation,
                let keyring = line.keyring, let result = line.result, let client = line.client, let prev = line.prev,
                let previousHash = try? Hex.decode(prev), let recorded = try? Hex.decode(line.hash)
            else { throw ArborError(.corruptFile, "an audit entry lacks a field or has a bad hex value") }
            let entry = try AuditEntry(
                sequence: line.seq, time: line.time, requestID: requestID, accessor: accessor, operation: operation, keyring: keyring,
                result: result, client: client, previousHash: previousHash)
            guard entry.hash == recorded else {
                throw ArborError(.authenticationFailed, "entry \(line.seq) does not hash to its recorded hash: it was edited")
            }
            self = .entry(entry)
        case "head":
            guard let signer = line.signer, let keyID = try? KeyID(hex: signer), let signature = line.signature,
                let signatureBytes = Data(base64Encoded: signature), let hash = try? Hex.decode(line.hash)
            else { throw ArborError(.corruptFile, "an audit head lacks a field or has a bad hex or base64 value") }
            self = .head(
                try AuditHead(sequence: line.seq, hash: hash, time: line.time, signerKeyID: keyID, signature: [UInt8](signatureBytes)))
        default:
            throw ArborError(.corruptFile, "an audit log line has the unknown type '\(line.type.prefix(32))'")
        }
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: "malformed JSON"
        }
    }
}
