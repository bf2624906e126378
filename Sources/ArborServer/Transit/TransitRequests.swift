import ArborCore
import ArborOperations

/// One Transit item: `plaintext` (base64) or `ciphertext`, an optional base64 `context`, the
/// `key_version` to use, and a `reference` echoed in its batch result. Other Vault fields
/// (`nonce`, `type`, `partial_failure_response_code`, …) are ignored.
struct TransitItem: Decodable {
    let plaintext: String?
    let ciphertext: String?
    let context: String?
    let keyVersion: UInt32?
    let reference: String?

    private enum CodingKeys: String, CodingKey {
        case plaintext, ciphertext, context, reference
        case keyVersion = "key_version"
    }
}

/// The body of `encrypt`, `decrypt` and `rewrap`: one item, or `batch_input`.
struct TransitItemRequest: Decodable {
    let item: TransitItem
    let batchInput: [TransitItem]?
    /// The key type, for an `encrypt` that creates its key.
    let type: String?

    private enum CodingKeys: String, CodingKey {
        case batchInput = "batch_input"
        case type
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
struct TransitKeyCreateRequest: Decodable {
    let type: String?
}

/// The body of `POST transit/keys/:name/config`: `min_decryption_version` retires the epochs
/// below it; Vault's other settings are ignored.
struct TransitKeyConfigRequest: Decodable {
    let minDecryptionVersion: Int64?

    private enum CodingKeys: String, CodingKey {
        case minDecryptionVersion = "min_decryption_version"
    }
}

/// The body of `datakey/{plaintext,wrapped}/:name`.
struct TransitDataKeyRequest: Decodable {
    let context: String?
    let bits: Int?
}

/// The body of `POST transit/random`.
struct TransitRandomRequest: Decodable {
    let bytes: Int?
    let format: String?
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
