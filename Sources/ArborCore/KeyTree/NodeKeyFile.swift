import Crypto

/// A node's secret at rest: its path, current epoch and branch secret, armored. The file is
/// written 0600 and must be guarded like an SSH host key. Byte layout in docs/keys.md.
public enum NodeKeyFile {
    public static let armorLabel = "ARBOR NODE KEY"
    static let magic = Array("ARBN".utf8)
    static let version: UInt8 = 1

    public static func encode(_ secret: NodeSecret) -> String {
        var writer = ByteWriter()
        writer.append(raw: magic)
        writer.append(version)
        secret.path.encode(into: &writer)
        writer.append(secret.epoch)
        secret.branchSecret.withUnsafeBytes { writer.append(raw: $0) }
        defer { writer.wipe() }
        return Armor.encode(writer.bytes, label: armorLabel)
    }

    public static func decode(_ text: String) throws -> NodeSecret {
        var bytes: [UInt8]
        do {
            bytes = try Armor.decode(text, label: armorLabel)
        } catch let error as ArborError {
            throw ArborError(
                .corruptFile, "not a readable node key file (\(error.message)); derive it again from its parent with 'arbor derive'")
        }
        defer { bytes.wipe() }
        var reader = ByteReader(bytes, context: "the node key file")
        do {
            guard try reader.read(count: 4) == magic else { throw ArborError.malformed("this is not an Arbor node key file") }
            let fileVersion = try reader.readUInt8()
            guard fileVersion == version else {
                throw ArborError(.unsupportedVersion, "node key file version \(fileVersion) is not supported; upgrade arbor")
            }
            let path = try TreePath.decode(from: &reader)
            let epoch = try reader.readUInt32()
            var secret = try reader.read(count: KeyDerivation.secretByteCount)
            defer { secret.wipe() }
            try reader.expectEnd()
            return NodeSecret(path: path, epoch: epoch, branchSecret: .init(data: secret))
        } catch let error as ArborError where error.code == .malformedInput {
            throw ArborError(
                .corruptFile, "the node key file is damaged (\(error.message)); derive it again from its parent with 'arbor derive'")
        }
    }
}
