import Crypto
import Foundation
import Testing

@testable import ArborCore

/// Node key and keyring files (docs/keys.md §11, docs/formats.md "Keyring file") and their vector
/// file `Vectors/keyfiles.json` (docs/keys.md §19). Files in the clear are deterministic and are
/// rebuilt and compared; encrypted ones (random salt and nonce) are opened with their passphrase.
/// Regenerate with `ARBOR_WRITE_VECTORS=1 swift test --filter SecretFileVectorTests`.
@Suite("Secret file vectors")
struct SecretFileVectorTests {
    struct File: Codable, Equatable {
        var description: String
        var rootKey: String
        var nodeKeyFiles: [Case]
        var keyringFiles: [Case]
    }

    struct Case: Codable, Equatable {
        var description: String
        /// The raw file, before armor.
        var file: String
        /// The file as written (armored).
        var armored: String
        var passphrase: String?
        /// "valid", or the error code reading must give.
        var expected: String
        /// For a valid node key file: what it holds.
        var path: String?
        var epoch: UInt32?
        var branchSecret: String?
        /// For a valid keyring file: what it holds.
        var name: String?
        var owner: String?
        var cipher: UInt8?
        var activeEpoch: UInt32?
        var minimumEpoch: UInt32?
        var epochSeeds: [String: String]?
    }

    static let fileName = "keyfiles.json"
    static let passphrase = "correct horse battery"
    /// Tests only: a small scrypt work factor, so a second implementation checks them quickly.
    static let parameters = EncryptedRootKeyFile.Parameters.unsafe(logN: 10)

    static func node() throws -> NodeSecret {
        try Fixtures.vectorRoot.node.descendant(TreePath(parsing: "eu/node-7")).atEpoch(1)
    }

    static func keyring() throws -> MeshKeyring {
        let owner = try Fixtures.vectorRoot.node.descendant(TreePath(parsing: "eu"))
        var ring = try MeshKeyring.create(name: "payments", owner: owner)
        try ring.rotate(owner: owner)
        return ring
    }

    static func nodeBody(_ secret: NodeSecret) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: secret.path.encoded)
        writer.append(secret.epoch)
        writer.append(raw: secret.branchSecret.bytesForEncoding)
        return writer.bytes
    }

    static func keyringBody(_ ring: MeshKeyring) throws -> [UInt8] {
        let raw = try Armor.decode(secret: MeshKeyringFile.encode(ring), label: MeshKeyringFile.armorLabel)
        return raw.withUnsafeBytes { Array($0[6..<($0.count - 32)]) }
    }

    /// A version-2 file with one byte changed and its checksum recomputed, as a deliberate edit.
    static func edited(_ file: [UInt8], at offset: Int, to value: UInt8) -> [UInt8] {
        var bytes = Array(file.dropLast(32))
        bytes[offset] = value
        return bytes + SecretFileEnvelope.checksum(bytes[...])
    }

    static func makeCase(
        _ description: String, _ file: [UInt8], label: String, passphrase: String? = nil, expected: String = "valid"
    ) -> Case {
        Case(
            description: description, file: Hex.encode(file), armored: Armor.encode(file, label: label), passphrase: passphrase,
            expected: expected)
    }

    static func raw(_ armored: SecretBytes, label: String) throws -> [UInt8] {
        try Armor.decode(secret: armored, label: label).withUnsafeBytes { Array($0) }
    }

    static func expected() throws -> File {
        let label = NodeKeyFile.armorLabel
        let secret = try node()
        let plain = try raw(NodeKeyFile.encode(secret), label: label)
        let encrypted = try raw(
            NodeKeyFile.encode(secret, protection: .passphrase(SecretBytes(copying: Array(passphrase.utf8)), parameters)), label: label)
        var flipped = plain
        flipped[plain.count - 40] ^= 0x01
        func described(_ item: Case) -> Case {
            var item = item
            if item.expected == "valid" {
                item.path = secret.path.description
                item.epoch = secret.epoch
                item.branchSecret = Hex.encode(secret.branchSecret.bytesForEncoding)
            }
            return item
        }
        let nodeCases = [
            makeCase("eu/node-7 at epoch 1, version 2, in the clear", plain, label: label),
            makeCase("the same, encrypted under the passphrase (log2 N = 10)", encrypted, label: label, passphrase: passphrase),
            makeCase("the same key in the legacy version 1 (no checksum)", Array("ARBN".utf8) + [1] + nodeBody(secret), label: label),
            makeCase("one bit flipped in the branch secret", flipped, label: label, expected: "corrupt file"),
            makeCase(
                "encrypted, opened with another passphrase", encrypted, label: label, passphrase: "battery horse correct",
                expected: "wrong passphrase"),
            makeCase(
                "encrypted, log2 N raised to 23 and the checksum recomputed", edited(encrypted, at: 7, to: 23), label: label,
                passphrase: passphrase, expected: "limit exceeded"),
            makeCase("version 3", edited(plain, at: 4, to: 3), label: label, expected: "unsupported version"),
        ].map(described)

        let keyringLabel = MeshKeyringFile.armorLabel
        let ring = try keyring()
        let ringPlain = try raw(MeshKeyringFile.encode(ring), label: keyringLabel)
        let ringEncrypted = try raw(
            MeshKeyringFile.encode(ring, protection: .passphrase(SecretBytes(copying: Array(passphrase.utf8)), parameters)),
            label: keyringLabel)
        var ringFlipped = ringPlain
        ringFlipped[ringPlain.count - 33] ^= 0x80
        func describedRing(_ item: Case) throws -> Case {
            var item = item
            if item.expected == "valid" {
                item.name = ring.name
                item.owner = ring.owner.description
                item.cipher = ring.cipher.rawValue
                item.activeEpoch = ring.activeEpoch
                item.minimumEpoch = ring.minimumEpoch
                item.epochSeeds = Dictionary(
                    uniqueKeysWithValues: try ring.heldEpochs.map { (String($0), Hex.encode(try ring.seed(for: $0).bytesForEncoding)) })
            }
            return item
        }
        let ringCases = try [
            makeCase("keyring payments of eu at epoch 2, version 2, in the clear", ringPlain, label: keyringLabel),
            makeCase("the same, encrypted under the passphrase (log2 N = 10)", ringEncrypted, label: keyringLabel, passphrase: passphrase),
            makeCase(
                "the same keyring in the legacy version 1 (no checksum)", Array("ARKR".utf8) + [1] + keyringBody(ring), label: keyringLabel),
            makeCase("one bit flipped in the last seed", ringFlipped, label: keyringLabel, expected: "corrupt file"),
            makeCase(
                "encrypted, opened with another passphrase", ringEncrypted, label: keyringLabel, passphrase: "battery horse correct",
                expected: "wrong passphrase"),
        ].map(describedRing)
        return File(
            description:
                "Arbor node key and keyring files, version 2 (docs/keys.md §11, docs/formats.md 'Keyring file'): raw and armored bytes, the passphrase of encrypted ones, and what reading must give",
            rootKey: Hex.encode(Fixtures.vectorRoot.secret.bytesForEncoding), nodeKeyFiles: nodeCases, keyringFiles: ringCases)
    }

    static func load() throws -> File { try Fixtures.loadVectors(File.self, from: fileName) }

    /// Reads a case as the CLI does: the passphrase only for an encrypted file.
    static func outcome<Value>(_ item: Case, _ read: (SecretBytes, SecretBytes?) throws -> Value) -> (Value?, String) {
        let armored = SecretBytes(copying: Array(item.armored.utf8))
        do {
            return (try read(armored, item.passphrase.map { SecretBytes(copying: Array($0.utf8)) }), "valid")
        } catch let error as ArborError {
            return (nil, error.code.description)
        } catch {
            return (nil, "\(error)")
        }
    }

    @Test("the vector file is current (ARBOR_WRITE_VECTORS=1 rewrites it)")
    func writeIfAsked() throws {
        try Fixtures.writeVectorsIfAsked(Self.expected, to: Self.fileName)
    }

    @Test("every node key file vector reads to its expected outcome, and files in the clear are rebuilt exactly")
    func nodeKeyFiles() throws {
        let file = try Self.load()
        let secret = try Self.node()
        #expect(file.nodeKeyFiles.count == 7)
        for item in file.nodeKeyFiles {
            #expect(try Hex.encode(Armor.decode(item.armored, label: NodeKeyFile.armorLabel)) == item.file, "\(item.description)")
            let (read, outcome) = Self.outcome(item) { try NodeKeyFile.decode($0, passphrase: $1) }
            #expect(outcome == item.expected, "\(item.description)")
            if let read {
                #expect(read.path == secret.path && read.epoch == secret.epoch, "\(item.description)")
                #expect(Hex.encode(read.branchSecret.bytesForEncoding) == item.branchSecret, "\(item.description)")
            }
        }
        let plain = try Self.raw(NodeKeyFile.encode(secret), label: NodeKeyFile.armorLabel)
        #expect(Hex.encode(plain) == file.nodeKeyFiles[0].file)
    }

    @Test("every keyring file vector reads to its expected outcome, and files in the clear are rebuilt exactly")
    func keyringFiles() throws {
        let file = try Self.load()
        let ring = try Self.keyring()
        #expect(file.keyringFiles.count == 5)
        for item in file.keyringFiles {
            let (read, outcome) = Self.outcome(item) { try MeshKeyringFile.decode($0, passphrase: $1) }
            #expect(outcome == item.expected, "\(item.description)")
            if let read {
                #expect(read.identifier == ring.identifier && read.heldEpochs == ring.heldEpochs, "\(item.description)")
                #expect(try read.seed(for: 2).bytesForEncoding == ring.seed(for: 2).bytesForEncoding)
            }
        }
        let plain = try Self.raw(MeshKeyringFile.encode(ring), label: MeshKeyringFile.armorLabel)
        #expect(Hex.encode(plain) == file.keyringFiles[0].file)
    }

    @Test("a flipped bit anywhere in a node key or keyring file is refused as damage, never read as another key")
    func everyBitFlip() throws {
        let node = try Self.raw(NodeKeyFile.encode(Self.node()), label: NodeKeyFile.armorLabel)
        let ring = try Self.raw(MeshKeyringFile.encode(Self.keyring()), label: MeshKeyringFile.armorLabel)
        for (bytes, label, read) in [
            (node, NodeKeyFile.armorLabel, { (armored: SecretBytes) throws in _ = try NodeKeyFile.decode(armored) }),
            (ring, MeshKeyringFile.armorLabel, { (armored: SecretBytes) throws in _ = try MeshKeyringFile.decode(armored) }),
        ] {
            for offset in 0..<bytes.count {
                for bit in [0, 3, 7] {
                    var damaged = bytes
                    damaged[offset] ^= 1 << bit
                    let armored = SecretBytes(copying: Array(Armor.encode(damaged, label: label).utf8))
                    // The checksum covers the version byte too (one bit never turns 2 into 1).
                    do {
                        try read(armored)
                        Issue.record("\(label): bit \(bit) of byte \(offset) flipped was accepted")
                    } catch let error as ArborError {
                        #expect(error.code == .corruptFile, "\(label) byte \(offset): \(error.code) \(error.message)")
                    }
                }
            }
        }
    }

    @Test("an encrypted node key file names its passphrase problems: none given, a wrong one, a short new one")
    func encryptedNodeKey() throws {
        let secret = try Self.node()
        let passphrase = SecretBytes(copying: Array(Self.passphrase.utf8))
        let armored = try NodeKeyFile.encode(secret, protection: .passphrase(passphrase, Self.parameters))
        #expect(try NodeKeyFile.isEncrypted(armored))
        #expect(try !NodeKeyFile.isEncrypted(NodeKeyFile.encode(secret)))
        #expect(try NodeKeyFile.parameters(of: armored) == Self.parameters)
        #expect(try NodeKeyFile.decode(armored, passphrase: passphrase).branchSecret == secret.branchSecret)
        #expect(throws: ArborError(.invalidArgument, "")) { try NodeKeyFile.decode(armored) }
        #expect(throws: ArborError(.wrongPassphrase, "")) { try NodeKeyFile.decode(armored, passphrase: SecretBytes(copying: [0x61])) }
        // The armored text of an encrypted file does not carry the branch secret in the clear.
        let text = armored.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(
            !Hex.encode(try Armor.decode(text, label: NodeKeyFile.armorLabel)).contains(Hex.encode(secret.branchSecret.bytesForEncoding)))
        #expect(throws: ArborError(.invalidArgument, "")) {
            try NodeKeyFile.encode(secret, protection: .passphrase(SecretBytes(copying: Array("seven77".utf8)), Self.parameters))
        }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try NodeKeyFile.encode(secret, protection: .passphrase(passphrase, .unsafe(logN: 23)))
        }
    }
}
