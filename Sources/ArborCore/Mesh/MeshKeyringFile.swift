import Crypto

/// A keyring at rest: name, owner, cipher, active and minimum epochs, and the epoch seeds it
/// holds. Written 0600. Byte layout in docs/formats.md, "Keyring file".
public enum MeshKeyringFile {
    public static let armorLabel = "ARBOR KEYRING"
    static let magic = Array("ARKR".utf8)
    static let version: UInt8 = 1

    public static func encode(_ keyring: MeshKeyring) -> String {
        var writer = ByteWriter()
        writer.append(raw: magic)
        writer.append(version)
        writer.append(short: Array(keyring.name.utf8))
        keyring.owner.encode(into: &writer)
        writer.append(keyring.cipher.rawValue)
        writer.append(keyring.activeEpoch)
        writer.append(keyring.minimumEpoch)
        writer.append(UInt16(keyring.seeds.count))
        for epoch in keyring.heldEpochs {
            writer.append(epoch)
            keyring.seeds[epoch]!.withUnsafeBytes { writer.append(raw: $0) }
        }
        defer { writer.wipe() }
        return Armor.encode(writer.bytes, label: armorLabel)
    }

    public static func decode(_ text: String) throws -> MeshKeyring {
        var bytes: [UInt8]
        do {
            bytes = try Armor.decode(text, label: armorLabel)
        } catch let error as ArborError {
            throw ArborError(.corruptFile, "not a readable keyring file (\(error.message)); fetch it again from its owner")
        }
        defer { bytes.wipe() }
        var reader = ByteReader(bytes, context: "the keyring file")
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
                var seed = try reader.read(count: 32)
                seeds[epoch] = SymmetricKey(data: seed)
                seed.wipe()
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
