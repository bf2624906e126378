import Crypto

/// A keyring at rest: name, owner, cipher, active and minimum epochs, and the epoch seeds it
/// holds, with a checksum and, if asked, encrypted under a passphrase (the envelope of
/// docs/keys.md §11). Written 0600. Byte layout in docs/formats.md, "Keyring file". Made and read
/// as `SecretBytes` (the armored text carries the seeds), never as a `String`.
public enum MeshKeyringFile {
    public static let armorLabel = "ARBOR KEYRING"
    static let magic = Array("ARKR".utf8)
    /// The version written; version 1 (no checksum) is still read.
    static let version: UInt8 = SecretFileEnvelope.version
    static let remedy = "restore it from a backup or fetch it again from its owner"
    static let envelope = SecretFileEnvelope(
        magic: magic, kind: "keyring file", armorLabel: armorLabel, passphraseDomain: "arbor/v1/keyring-file", remedy: remedy)

    public static func encode(_ keyring: MeshKeyring) -> SecretBytes {
        // In the clear nothing can fail: no passphrase rule, no scrypt.
        try! encode(keyring, protection: .none)
    }

    /// The armored file; `protection` encrypts it under a passphrase (at least 8 characters).
    public static func encode(_ keyring: MeshKeyring, protection: SecretFileProtection) throws -> SecretBytes {
        let name = Array(keyring.name.utf8)
        let owner = keyring.owner.encoded
        var writer = ByteWriter(capacity: 1 + name.count + owner.count + 1 + 4 + 4 + 2 + keyring.seeds.count * 36)
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

    /// Reads a keyring file of either version; `passphrase` opens an encrypted one.
    public static func decode(_ armored: SecretBytes, passphrase: SecretBytes? = nil) throws -> MeshKeyring {
        let bytes = try envelope.body(of: try envelope.unarmored(armored), passphrase: passphrase)
        var reader = bytes.withUnsafeBytes { ByteReader($0, context: "the keyring file") }
        defer { reader.wipe() }
        do {
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
            throw ArborError(.corruptFile, "the keyring file is damaged (\(error.message)); \(remedy)")
        }
    }
}
