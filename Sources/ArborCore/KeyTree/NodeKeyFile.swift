import Crypto

/// A node's secret at rest: its path, current epoch and branch secret, armored, with a checksum
/// and, if asked, encrypted under a passphrase. The file is written 0600 and must be guarded like
/// an SSH host key. Byte layout in docs/keys.md §11.
///
/// The armored file is a secret too (its base64 is the branch secret, unless encrypted), so it is
/// made and read as `SecretBytes`, never as a `String`.
public enum NodeKeyFile {
    public static let armorLabel = "ARBOR NODE KEY"
    static let magic = Array("ARBN".utf8)
    /// The version written; version 1 (no checksum) is still read.
    static let version: UInt8 = SecretFileEnvelope.version
    static let remedy = "restore it from a backup or derive it again from its parent with 'arbor derive'"
    static let envelope = SecretFileEnvelope(
        magic: magic, kind: "node key file", armorLabel: armorLabel, passphraseDomain: "arbor/v1/node-key-file", remedy: remedy)

    public static func encode(_ secret: NodeSecret) -> SecretBytes {
        // In the clear nothing can fail: no passphrase rule, no scrypt.
        try! encode(secret, protection: .none)
    }

    /// The armored file; `protection` encrypts it under a passphrase (at least 8 characters).
    public static func encode(_ secret: NodeSecret, protection: SecretFileProtection) throws -> SecretBytes {
        let path = secret.path.encoded
        var writer = ByteWriter(capacity: path.count + 4 + KeyDerivation.secretByteCount)
        defer { writer.wipe() }
        writer.append(raw: path)
        writer.append(secret.epoch)
        secret.branchSecret.withUnsafeBytes { writer.append(raw: $0) }
        let file = try writer.bytes.withUnsafeBytes { try envelope.seal(body: $0, protection: protection) }
        return file.withUnsafeBytes { Armor.encode(secret: $0, label: armorLabel) }
    }

    /// Whether the file is encrypted (so a passphrase must be asked for), after checking its
    /// armor, version and checksum: a damaged file is refused here, before any prompt.
    public static func isEncrypted(_ armored: SecretBytes) throws -> Bool {
        try envelope.parameters(ofArmored: armored) != nil
    }

    /// The scrypt parameters of an encrypted file (kept when the file is rewritten); nil in the clear.
    public static func parameters(of armored: SecretBytes) throws -> EncryptedRootKeyFile.Parameters? {
        try envelope.parameters(ofArmored: armored)
    }

    /// Reads a node key file of either version; `passphrase` opens an encrypted one.
    public static func decode(_ armored: SecretBytes, passphrase: SecretBytes? = nil) throws -> NodeSecret {
        let body = try envelope.body(of: try envelope.unarmored(armored), passphrase: passphrase)
        do {
            return try body.withUnsafeBytes { raw in
                var reader = ByteReader(raw, context: "the node key file")
                defer { reader.wipe() }
                let path = try TreePath.decode(from: &reader)
                let epoch = try reader.readUInt32()
                let secret = try reader.readSecret(count: KeyDerivation.secretByteCount)
                try reader.expectEnd()
                return NodeSecret(path: path, epoch: epoch, branchSecret: secret)
            }
        } catch let error as ArborError where error.code == .malformedInput || error.code == .invalidPath {
            throw ArborError(.corruptFile, "the node key file is damaged (\(error.message)); \(remedy)")
        }
    }
}
