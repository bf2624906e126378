import ArborCore
import ArborOperations

/// A Transit request body. The `vault`/`bao` CLIs send `null` for a write without data
/// (`bao write -f`), which Vault reads as no fields: every field of these bodies is optional.
protocol TransitRequest: Decodable {
    init()
}

/// A body that may be JSON `null`, read as the request with no fields.
struct TransitBody<Request: TransitRequest>: Decodable {
    let request: Request

    init(from decoder: any Decoder) throws {
        let isNull = (try? decoder.singleValueContainer().decodeNil()) ?? false
        request = isNull ? Request() : try Request(from: decoder)
    }
}

/// One Transit item: `plaintext` (base64) or `ciphertext`, an optional base64 `context`, the
/// `key_version` to use, and a `reference` echoed in its batch result. Other Vault fields
/// (`nonce`, `type`, `partial_failure_response_code`, …) are ignored.
struct TransitItem: Decodable {
    var plaintext: String?
    var ciphertext: String?
    var context: String?
    var keyVersion: UInt32?
    var reference: String?

    private enum CodingKeys: String, CodingKey {
        case plaintext, ciphertext, context, reference
        case keyVersion = "key_version"
    }
}

/// The body of `encrypt`, `decrypt` and `rewrap`: one item, or `batch_input`.
struct TransitItemRequest: TransitRequest {
    let item: TransitItem
    let batchInput: [TransitItem]?
    /// The key type, for an `encrypt` that creates its key.
    var type: String?

    private enum CodingKeys: String, CodingKey {
        case batchInput = "batch_input"
        case type
    }

    init() {
        item = TransitItem()
        batchInput = nil
        type = nil
    }

    init(from decoder: any Decoder) throws {
        item = try TransitItem(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        batchInput = try container.decodeIfPresent([TransitItem].self, forKey: .batchInput)
        type = try container.decodeIfPresent(String.self, forKey: .type)
    }

    /// The items to process: `batch_input`, or the single item.
    var items: [TransitItem] { batchInput ?? [item] }
}

/// The body of `POST transit/keys/:name`: Vault's `type`; the other options are ignored.
struct TransitKeyCreateRequest: TransitRequest {
    var type: String?
}

/// The body of `POST transit/keys/:name/config`: `min_decryption_version` retires the epochs
/// below it; Vault's other settings are ignored.
struct TransitKeyConfigRequest: TransitRequest {
    var minDecryptionVersion: Int64?

    private enum CodingKeys: String, CodingKey {
        case minDecryptionVersion = "min_decryption_version"
    }
}

/// The body of `datakey/{plaintext,wrapped}/:name`.
struct TransitDataKeyRequest: TransitRequest {
    var context: String?
    var bits: Int?
}

/// The body of `POST transit/random`.
struct TransitRandomRequest: TransitRequest {
    var bytes: Int?
    var format: String?
}

/// Vault's key types, as Arbor ciphers: `aes256-gcm96` (Vault's default) is AES-256-GCM and
/// `chacha20-poly1305` is ChaCha20-Poly1305; signing and asymmetric types are not offered.
enum TransitKeyType {
    static func cipher(_ type: String?) throws -> MeshKeyring.Cipher {
        switch type ?? "aes256-gcm96" {
        case "aes256-gcm96": .aes256GCM
        case "chacha20-poly1305": .chaCha20Poly1305
        case let other: throw ArborError(.invalidArgument, "key type '\(other)' is not supported; use aes256-gcm96 or chacha20-poly1305")
        }
    }

    static func name(_ cipher: String) -> String { cipher == "aes-256-gcm" ? "aes256-gcm96" : "chacha20-poly1305" }
}
