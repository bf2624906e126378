import ArborOperations

/// A keyring in Vault's read shape: versions are epochs, `latest_version` the active epoch and
/// `min_decryption_version` the lowest epoch kept. Arbor records no time per epoch, so `keys`
/// maps each held epoch to 0. Retiring deletes an epoch's seed, so the lowest available version
/// is the minimum too. Only what Arbor offers is claimed (no signing, export, or derivation flag).
struct TransitKeyView: Encodable {
    let summary: KeyringSummary

    private enum CodingKeys: String, CodingKey {
        case name, type, keys, derived, exportable
        case latestVersion = "latest_version"
        case minDecryptionVersion = "min_decryption_version"
        case minEncryptionVersion = "min_encryption_version"
        case minAvailableVersion = "min_available_version"
        case supportsEncryption = "supports_encryption"
        case supportsDecryption = "supports_decryption"
        case supportsDerivation = "supports_derivation"
        case supportsSigning = "supports_signing"
        case deletionAllowed = "deletion_allowed"
        case allowPlaintextBackup = "allow_plaintext_backup"
        case autoRotatePeriod = "auto_rotate_period"
        case importedKey = "imported_key"
        case softDeleted = "soft_deleted"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(summary.name, forKey: .name)
        try container.encode(TransitKeyType.name(summary.cipher), forKey: .type)
        try container.encode(Dictionary(uniqueKeysWithValues: summary.heldEpochs.map { ("\($0)", 0) }), forKey: .keys)
        try container.encode(summary.activeEpoch, forKey: .latestVersion)
        try container.encode(summary.minimumEpoch, forKey: .minDecryptionVersion)
        try container.encode(0, forKey: .minEncryptionVersion)
        try container.encode(summary.minimumEpoch, forKey: .minAvailableVersion)
        for key in [CodingKeys.supportsEncryption, .supportsDecryption] { try container.encode(true, forKey: key) }
        let unsupported: [CodingKeys] = [
            .derived, .exportable, .supportsDerivation, .supportsSigning, .deletionAllowed, .allowPlaintextBackup, .importedKey,
            .softDeleted,
        ]
        for key in unsupported { try container.encode(false, forKey: key) }
        try container.encode(0, forKey: .autoRotatePeriod)
    }
}

/// One item's answer: `ciphertext` and `key_version`, or `plaintext`, or in a batch the `error`
/// that item met; a batch result echoes the input's `reference`.
struct TransitItemResult: Encodable {
    var ciphertext: String?
    var keyVersion: UInt32?
    var plaintext: String?
    var reference: String?
    var error: String?

    private enum CodingKeys: String, CodingKey {
        case ciphertext, plaintext, reference, error
        case keyVersion = "key_version"
    }
}

/// `{"batch_results":[…]}`, in input order.
struct TransitBatchResults: Encodable {
    let batchResults: [TransitItemResult]

    private enum CodingKeys: String, CodingKey {
        case batchResults = "batch_results"
    }
}

/// `{"random_bytes":…}`.
struct TransitRandomBytes: Encodable {
    let randomBytes: String

    private enum CodingKeys: String, CodingKey {
        case randomBytes = "random_bytes"
    }
}
