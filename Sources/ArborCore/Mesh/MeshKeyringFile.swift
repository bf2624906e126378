import Crypto

/// A keyring at rest: name, owner, cipher, active and minimum epochs, and the epoch seeds it
/// holds. Written 0600. Byte layout in docs/formats.md, "Keyring file". Made and read as
/// `SecretBytes` (the armored text carries the seeds), never as a `String`.
public enum MeshKeyringFile {
    public static let armorLabel = "ARBOR KEYRING"
    static let magic = Array("ARKR".utf8)
    static let version: UInt8 = 1

    public static func encode(_ keyring: MeshKeyring) -> SecretBytes {
        let name = Array(keyring.name.utf8)
        let owner = keyring.owner.encoded
        var writer = ByteWriter(capacity: 4 + 1 + 1 + name.count + owner.count + 1 + 4 + 4 + 2 + keyring.seeds.count * 36)
        writer.append(raw: magic)
        writer.append(version)
        writer.append(short: name)
        writer.append(raw: owner)
        writer.append(keyring.cipher.rawValue)
        writer.append(keyring.activeEpoch)
        writer.append(keyring.minimumEpoch)
        writer.append(UInt16(keyring.seeds.count))
        for epoch in keyring.heldEpochs {
            writer.append(epoch)
            keyring.seeds[epoch]!.withUnsafeBytes { writer.append(raw: $0) }
        }
        defer { writer.wipe() }
        return writer.bytes.withUnsafeBytes { Armor.encode(secret: $0, label: armorLabel) }
    }

    public static func decode(_ armored: SecretBytes) throws -> MeshKeyring {
        let bytes: SecretBytes
        do {
            bytes = try Armor.decode(secret: armored, label: armorLabel)
        } catch let error as ArborError {
            throw ArborError(.corruptFile, "not a readable keyring file (\(error.message)); fetch it again from its owner")
        }
        var reader = bytes.withUnsafeBytes { ByteReader($0, context: "the keyring file") }
        defer { reader.wipe() }
        do {
            guard try reader.read(count: 4) == magic else { throw ArborError.malformed("this is not an Arbor keyring file") }
            let fileVersion = try reader.readUInt8()
            guard fileVersion == version else {
                throw ArborError(.unsupportedVersion, "keyring file version \(fileVersion) is not supported; upgrade arbor")
            }
            let name = String(decoding: try reader.readShortField(), as: UTF8.self)
            try TreePath.validate(label: name)
            let owner = try TreePath.decode(from: &reader)
            guard let cipher = MeshKeyring.Cipher(rawValue: try reader.readUInt8()) else {
                throw ArborError.malformed("the keyring file names an unknown cipher")
            }
            let active = try reader.readUInt32()
            let minimum = try reader.readUInt32()
            var seeds: [UInt32: SymmetricKey] = [:]
            var previous: UInt32?
            for _ in 0..<Int(try reader.readUInt16()) {
                let epoch = try reader.readUInt32()
                // Strictly ascending: a repeated epoch would let one seed silently replace another.
                guard previous.map({ epoch > $0 }) ?? true else {
                    throw ArborError.malformed("the keyring file's epochs are not strictly ascending")
                }
                previous = epoch
                seeds[epoch] = try reader.readSecret(count: 32)
            }
            try reader.expectEnd()
            guard minimum >= 1, minimum <= active, seeds[active] != nil, seeds.keys.allSatisfy({ $0 >= minimum && $0 <= active })
            else {
                throw ArborError.malformed("the keyring file's epochs are inconsistent")
            }
            return MeshKeyring(name: name, owner: owner, cipher: cipher, activeEpoch: active, minimumEpoch: minimum, seeds: seeds)
        } catch let error as ArborError where error.code == .malformedInput || error.code == .invalidPath {
            throw ArborError(.corruptFile, "the keyring file is damaged (\(error.message)); fetch it again from its owner")
        }
    }
}
