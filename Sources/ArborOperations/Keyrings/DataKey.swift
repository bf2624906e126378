import ArborCore

/// A fresh data key for envelope encryption: the caller encrypts its data locally with `key` and
/// keeps `token`, the key sealed by the keyring, beside it; `open` on the token gives the key back.
public struct DataKey: Sendable {
    /// The number of bytes of a data key (a 256-bit key).
    public static let size = 32

    public let key: SecretBytes
    public let token: MeshToken
}

extension KeyringOperations {
    /// A new random data key, sealed by the keyring at `reference` under `context`.
    public func dataKey(_ reference: String, context: [UInt8], origin: TreePath, time: Int64) throws -> DataKey {
        var bytes = randomBytes(DataKey.size)
        defer { bytes.wipe() }
        let token = try seal(reference, plaintext: bytes, context: context, origin: origin, time: time)
        return DataKey(key: SecretBytes(copying: bytes), token: token)
    }
}
