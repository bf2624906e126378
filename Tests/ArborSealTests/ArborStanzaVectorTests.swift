import ArborCore
import Crypto
import Foundation
import Testing

@testable import ArborSeal

/// `Vectors/arbor-stanzas.json` (docs/formats.md, "Arbor stanzas"): age files with Arbor's
/// stanzas, made from the vector root key 000102…1f, with the file key and wrapping key each
/// stanza must yield. Encryption is randomised, so the files are generated once and committed
/// (`ARBOR_WRITE_VECTORS=1 swift test --filter ArborStanzaVectorTests`); the tests open them.
@Suite("Arbor stanza vectors")
struct ArborStanzaVectorTests {
    struct File: Codable {
        var description: String
        var rootKey: String
        var cases: [Case]
    }

    struct Case: Codable {
        var description: String
        var stanza: String
        /// For arbor-mesh: the keyring's owner, name and active epoch (seeds from docs/formats.md).
        var keyringOwner: String?
        var keyringName: String?
        var keyringEpoch: UInt32?
        /// For arbor-tree: the node that decrypts (any ancestor of, or the node in the stanza).
        var decryptingNode: String?
        var wrappingKey: String
        var fileKey: String
        var plaintext: String
        var file: String
    }

    static let fileName = "arbor-stanzas.json"
    static let root = ArborStanzaTests.root

    static func keyring(owner: String, name: String, epoch: UInt32) throws -> MeshKeyring {
        let ownerSecret = owner == "/" ? root : try root.descendant(TreePath(parsing: owner))
        var keyring = try MeshKeyring.create(name: name, owner: ownerSecret)
        while keyring.activeEpoch < epoch { try keyring.rotate(owner: ownerSecret) }
        return keyring
    }

    static func identity(for vector: Case) throws -> AgeIdentity {
        if let owner = vector.keyringOwner, let name = vector.keyringName, let epoch = vector.keyringEpoch {
            return .meshKeyring(try keyring(owner: owner, name: name, epoch: epoch))
        }
        let path = try TreePath(parsing: try #require(vector.decryptingNode))
        return .treeNode(path.isRoot ? root : try root.descendant(path))
    }

    /// The wrapping key the vector's single stanza implies, recomputed from the stanza's arguments.
    static func wrappingKey(for vector: Case, stanza: AgeStanza) throws -> SymmetricKey {
        switch stanza.type {
        case MeshKeyringStanza.type:
            let keyring = try keyring(
                owner: try #require(vector.keyringOwner), name: try #require(vector.keyringName), epoch: try #require(vector.keyringEpoch))
            return try keyring.wrappingKey(
                header: try #require(AgeBase64.decode(Array(stanza.arguments[0].utf8), padded: false)), domain: MeshKeyringStanza.domain)
        default:
            let path = try TreePath(parsing: stanza.arguments[0])
            let epoch = try #require(UInt32(stanza.arguments[1]))
            let salt = try #require(AgeBase64.decode(Array(stanza.arguments[2].utf8), padded: false))
            let storageKey = try root.storageKey(of: path, epoch: epoch, purpose: TreeStorageKeyStanza.purpose)
            return try TreeStorageKeyStanza.wrappingKey(storageKey: storageKey, salt: salt, path: path, epoch: epoch)
        }
    }

    static func makeCase(_ description: String, recipient: AgeRecipient, base: Case, plaintext: String) throws -> Case {
        let file = try Age.encrypt(Array(plaintext.utf8), to: [recipient])
        var vector = base
        vector.description = description
        vector.plaintext = plaintext
        vector.file = Data(file).base64EncodedString()
        let header = try AgeHeader(parsing: file)
        guard case .fileKey(let fileKey) = try identity(for: vector).unwrap(header.stanzas) else {
            throw ArborError(.noMatchingKey, "the vector's identity does not open its own file")
        }
        vector.fileKey = Hex.encode(fileKey.withUnsafeBytes { Array($0) })
        vector.wrappingKey = Hex.encode(try wrappingKey(for: vector, stanza: header.stanzas[0]).withUnsafeBytes { Array($0) })
        return vector
    }

    static func generate() throws -> File {
        let empty = Case(description: "", stanza: "", wrappingKey: "", fileKey: "", plaintext: "", file: "")
        var mesh = empty
        mesh.stanza = MeshKeyringStanza.type
        (mesh.keyringOwner, mesh.keyringName, mesh.keyringEpoch) = ("eu", "files", 2)
        var tree = empty
        tree.stanza = TreeStorageKeyStanza.type
        tree.decryptingNode = "/"
        return File(
            description: "Arbor's age stanzas, format 1: files from the root key 000102...1f. See docs/formats.md, 'Arbor stanzas'.",
            rootKey: Hex.encode((0..<32).map { UInt8($0) }),
            cases: [
                try makeCase(
                    "arbor-mesh: keyring 'files' of eu at epoch 2, origin eu/node-7",
                    recipient: .meshKeyring(
                        try keyring(owner: "eu", name: "files", epoch: 2), origin: try TreePath(parsing: "eu/node-7"),
                        time: 1_795_000_000_000),
                    base: mesh, plaintext: "sealed to a mesh keyring"),
                try makeCase(
                    "arbor-tree: storage key of eu/node-7 at epoch 2, opened by the root",
                    recipient: .treeStorageKey(of: try root.descendant(TreePath(parsing: "eu/node-7")).atEpoch(2)), base: tree,
                    plaintext: "sealed to a node's storage key"),
            ]
        )
    }

    static func codec() -> (JSONEncoder, JSONDecoder) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return (encoder, decoder)
    }

    @Test("the vector file is written when asked (ARBOR_WRITE_VECTORS=1)")
    func writeIfAsked() throws {
        guard ProcessInfo.processInfo.environment["ARBOR_WRITE_VECTORS"] == "1" else { return }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(Self.fileName)")
        try Self.codec().0.encode(try Self.generate()).write(to: url)
    }

    @Test("every stanza vector opens to its plaintext with the stated file key and wrapping key")
    func vectors() throws {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Vectors/\(Self.fileName)")
        let file = try Self.codec().1.decode(File.self, from: Data(contentsOf: url))
        #expect(file.cases.count == 2)
        for vector in file.cases {
            let bytes = [UInt8](try #require(Data(base64Encoded: vector.file)))
            #expect(
                String(decoding: try Age.decrypt(bytes, identities: [try Self.identity(for: vector)]), as: UTF8.self) == vector.plaintext)
            let header = try AgeHeader(parsing: bytes)
            #expect(header.stanzas.map(\.type) == [vector.stanza])
            guard case .fileKey(let fileKey) = try Self.identity(for: vector).unwrap(header.stanzas) else {
                Issue.record("\(vector.description): the identity does not unwrap the file key")
                continue
            }
            #expect(Hex.encode(fileKey.withUnsafeBytes { Array($0) }) == vector.fileKey)
            #expect(
                Hex.encode(try Self.wrappingKey(for: vector, stanza: header.stanzas[0]).withUnsafeBytes { Array($0) }) == vector.wrappingKey
            )
        }
    }
}
