import Crypto

/// A node's secret at rest: its path, current epoch and branch secret, armored. The file is
/// written 0600 and must be guarded like an SSH host key. Byte layout in docs/keys.md.
///
/// The armored file is a secret too (its base64 is the branch secret), so it is made and read as
/// `SecretBytes`, never as a `String`.
public enum NodeKeyFile {
    public static let armorLabel = "ARBOR NODE KEY"
    static let magic = Array("ARBN".utf8)
    static let version: UInt8 = 1

    public static func encode(_ secret: NodeSecret) -> SecretBytes {
        let path = secret.path.encoded
        let count = magic.count + 1 + path.count + 4 + KeyDerivation.secretByteCount
        var writer = ByteWriter(capacity: count)
        defer { writer.wipe() }
        writer.append(raw: magic)
        writer.append(version)
        writer.append(raw: path)
        writer.append(secret.epoch)
        secret.branchSecret.withUnsafeBytes { writer.append(raw: $0) }
        return writer.bytes.withUnsafeBytes { Armor.encode(secret: $0, label: armorLabel) }
    }

    public static func decode(_ armored: SecretBytes) throws -> NodeSecret {
        let bytes: SecretBytes
        do {
            bytes = try Armor.decode(secret: armored, label: armorLabel)
        } catch let error as ArborError {
            throw ArborError(
                .corruptFile, "not a readable node key file (\(error.message)); derive it again from its parent with 'arbor derive'")
        }
        do {
            return try bytes.withUnsafeBytes { raw in
                var reader = ByteReader(raw, context: "the node key file")
                defer { reader.wipe() }
                guard try reader.read(count: 4) == magic else { throw ArborError.malformed("this is not an Arbor node key file") }
                let fileVersion = try reader.readUInt8()
                guard fileVersion == version else {
                    throw ArborError(.unsupportedVersion, "node key file version \(fileVersion) is not supported; upgrade arbor")
                }
                let path = try TreePath.decode(from: &reader)
                let epoch = try reader.readUInt32()
                let secret = try reader.readSecret(count: KeyDerivation.secretByteCount)
                try reader.expectEnd()
                return NodeSecret(path: path, epoch: epoch, branchSecret: secret)
            }
        } catch let error as ArborError where error.code == .malformedInput {
            throw ArborError(
                .corruptFile, "the node key file is damaged (\(error.message)); derive it again from its parent with 'arbor derive'")
        }
    }
}
