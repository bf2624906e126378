import Crypto

/// The 256-bit root of a key tree. Kept offline: encrypted under a passphrase
/// (`EncryptedRootKeyFile`) or split into shares.
public struct RootKey: Sendable, CustomStringConvertible {
    let secret: SymmetricKey

    /// A fresh root from the operating system's CSPRNG (swift-crypto's `SymmetricKey(size:)`).
    public static func generate() -> RootKey { RootKey(secret: SymmetricKey(size: .bits256)) }

    init(secret: SymmetricKey) { self.secret = secret }

    /// Rebuilds a root from its 32 secret bytes, e.g. after recombining shares.
    public init(bytes: SecretBytes) throws {
        guard bytes.count == KeyDerivation.secretByteCount else {
            throw ArborError(.invalidArgument, "a root key has 32 bytes, not \(bytes.count)")
        }
        secret = bytes.withUnsafeBytes { SymmetricKey(data: $0) }
    }

    /// The secret bytes, for splitting into shares. Handle with care: wipe when done.
    public var secretBytes: SecretBytes { secret.withUnsafeBytes { SecretBytes(copying: $0) } }

    public var node: NodeSecret { NodeSecret(root: self) }

    public var description: String { "RootKey(redacted)" }
}
