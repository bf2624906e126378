import ArborCore

/// The body of `POST /v1/keyrings`.
struct KeyringCreateRequest: Decodable {
    let name: String
    /// `chacha20-poly1305` (the default) or `aes-256-gcm`.
    let cipher: String?

    var parsedCipher: MeshKeyring.Cipher {
        get throws { try cipher.map(MeshKeyring.Cipher.init(parsing:)) ?? .chaCha20Poly1305 }
    }
}

/// The body of `POST /v1/keyrings/{name}/config`.
struct KeyringConfigRequest: Decodable {
    /// Epochs below this one are retired: their seeds deleted, their tokens refused.
    let minDecryptionEpoch: UInt32

    private enum CodingKeys: String, CodingKey {
        case minDecryptionEpoch = "min_decryption_epoch"
    }

    /// Read as a wide integer first: Foundation reports a number out of `UInt32`'s range as JSON
    /// that does not parse at all.
    init(from decoder: any Decoder) throws {
        let value = try decoder.container(keyedBy: CodingKeys.self).decode(Int64.self, forKey: .minDecryptionEpoch)
        guard let epoch = UInt32(exactly: value) else {
            throw NodeError(.invalidRequest, "min_decryption_epoch must be an epoch, from 1 to \(UInt32.max)")
        }
        minDecryptionEpoch = epoch
    }
}

/// The body of `POST /v1/keyrings/{name}/datakey`.
struct DataKeyRequest: Decodable {
    enum Mode: String, Decodable {
        /// The key and its token.
        case plaintext
        /// The token only: the caller opens it with `decrypt` when it needs the key.
        case wrapped
    }

    let mode: Mode
    /// Base64.
    let context: String?
}
