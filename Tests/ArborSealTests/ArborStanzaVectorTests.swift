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
        /// Files an attacker made: each must be refused with `expect`, an `ArborError` code as
        /// docs/formats.md names it, before any plaintext is released.
        var failures: [Failure]
    }

    struct Failure: Codable {
        var description: String
        var keyringOwner: String?
        var keyringName: String?
        var keyringEpoch: UInt32?
        var decryptingNode: String?
        var expect: String
        var file: String
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
        try identity(
            keyringOwner: vector.keyringOwner, keyringName: vector.keyringName, keyringEpoch: vector.keyringEpoch,
            decryptingNode: vector.decryptingNode)
    }

    static func identity(
        keyringOwner: String?, keyringName: String?, keyringEpoch: UInt32?, decryptingNode: String?
    ) throws -> AgeIdentity {
        if let owner = keyringOwner, let name = keyringName, let epoch = keyringEpoch {
            return .meshKeyring(try keyring(owner: owner, name: name, epoch: epoch))
        }
        let path = try TreePath(parsing: try #require(decryptingNode))
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

    /// An age file around `stanza` whose MAC and payload use a fixed file key and nonce: well formed
    /// and deterministic, so only the stanza can stop it.
    static func forgedFile(_ type: String, _ arguments: [String], body: [UInt8]) throws -> String {
        let fileKey = SymmetricKey(data: [UInt8](repeating: 0x42, count: 16))
        let header = AgeHeader.seal(stanzas: [try AgeStanza(type: type, arguments: arguments, body: body)], fileKey: fileKey)
        let nonce = [UInt8](repeating: 0x24, count: AgeChunkCipher.payloadNonceSize)
        let payload = try AgeChunkCipher.seal(
            Array("forged".utf8)[...], firstCounter: 0, endsStream: true,
            key: AgeChunkCipher.payloadKey(fileKey: fileKey, nonce: nonce))
        return Data(header.encoded + nonce + payload).base64EncodedString()
    }

    /// `vector`'s file with its stanza's arguments or body changed, the rest as is.
    static func tamperedFile(_ vector: Case, arguments change: ([String]) -> [String], body flip: Int?) throws -> String {
        let bytes = [UInt8](try #require(Data(base64Encoded: vector.file)))
        let header = try AgeHeader(parsing: bytes)
        let stanza = try #require(header.stanzas.first)
        var body = stanza.body
        if let flip { body[flip] ^= 0x01 }
        let start = AgeHeader.versionLine.count + 1
        let replaced = try AgeStanza(type: stanza.type, arguments: change(stanza.arguments), body: body)
        return Data(bytes[..<start] + replaced.encoded + bytes[(start + stanza.encoded.count)...]).base64EncodedString()
    }

    /// The refusals, made deterministically from the success cases (the first is arbor-mesh, the
    /// second arbor-tree).
    static func failures(from cases: [Case]) throws -> [Failure] {
        let (mesh, tree) = (cases[0], cases[1])
        func meshFailure(_ description: String, _ expect: ArborError.Code, _ file: String) -> Failure {
            Failure(
                description: description, keyringOwner: mesh.keyringOwner, keyringName: mesh.keyringName,
                keyringEpoch: mesh.keyringEpoch, expect: expect.description, file: file)
        }
        func treeFailure(_ description: String, _ expect: ArborError.Code, _ file: String) -> Failure {
            Failure(description: description, decryptingNode: "/", expect: expect.description, file: file)
        }
        let salt = AgeBase64.encodeString([UInt8](repeating: 0x11, count: 16))
        let body = [UInt8](repeating: 0x22, count: 32)
        func provenance(_ change: @escaping (inout [UInt8]) -> Void) -> ([String]) -> [String] {
            { arguments in
                var bytes = AgeBase64.decode(Array(arguments[0].utf8), padded: false) ?? []
                change(&bytes)
                return [AgeBase64.encodeString(bytes)]
            }
        }
        return [
            treeFailure(
                "arbor-tree at epoch 2^32-1, made without any key: refused before the epoch ratchet runs", .limitExceeded,
                try forgedFile("arbor-tree", ["eu/node-7", "4294967295", salt], body: body)),
            treeFailure(
                "arbor-tree at epoch 65537, one past the root's limit for a node below it (0 + 65536)", .limitExceeded,
                try forgedFile("arbor-tree", ["eu/node-7", "65537", salt], body: body)),
            treeFailure(
                "arbor-tree at epoch 65536, the limit: derived, and the forged body does not authenticate", .authenticationFailed,
                try forgedFile("arbor-tree", ["eu/node-7", "65536", salt], body: body)),
            treeFailure(
                "arbor-tree with an epoch written with a leading zero", .corruptFile,
                try forgedFile("arbor-tree", ["eu/node-7", "02", salt], body: body)),
            treeFailure(
                "arbor-tree with a 15-byte salt", .corruptFile,
                try forgedFile("arbor-tree", ["eu/node-7", "2", AgeBase64.encodeString([UInt8](repeating: 0x11, count: 15))], body: body)),
            treeFailure(
                "the arbor-tree case with one bit of its body flipped", .authenticationFailed,
                try tamperedFile(tree, arguments: { $0 }, body: 0)),
            treeFailure(
                "the arbor-tree case moved to epoch 3", .authenticationFailed,
                try tamperedFile(tree, arguments: { [$0[0], "3", $0[2]] }, body: nil)),
            meshFailure(
                "the arbor-mesh case with one bit of its provenance nonce flipped", .authenticationFailed,
                try tamperedFile(mesh, arguments: provenance { $0[10] ^= 0x01 }, body: nil)),
            meshFailure(
                "the arbor-mesh case at epoch 3, which the keyring does not hold", .unknownEpoch,
                try tamperedFile(mesh, arguments: provenance { $0[9] = 3 }, body: nil)),
            meshFailure(
                "the arbor-mesh case with a 39-byte provenance", .corruptFile,
                try tamperedFile(mesh, arguments: provenance { $0.removeLast() }, body: nil)),
            meshFailure(
                "the arbor-mesh case with one bit of its body flipped", .authenticationFailed,
                try tamperedFile(mesh, arguments: { $0 }, body: 31)),
        ]
    }

    /// The success cases are randomised: kept from the committed file when there is one, so that
    /// adding a failure does not churn them.
    static func generate(keeping existing: File?) throws -> File {
        var file = try existing ?? generate()
        file.failures = try failures(from: file.cases)
        return file
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
            ],
            failures: []
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
        /// The committed file's success cases (written before there were failures, too).
        struct Cases: Decodable {
            var description: String
            var rootKey: String
            var cases: [Case]
        }
        let existing = (try? Self.codec().1.decode(Cases.self, from: Data(contentsOf: url))).map {
            File(description: $0.description, rootKey: $0.rootKey, cases: $0.cases, failures: [])
        }
        try Self.codec().0.encode(try Self.generate(keeping: existing)).write(to: url)
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

    @Test("every failure vector is refused with its stated error, releasing nothing; they are the ones generated")
    func failureVectors() throws {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Vectors/\(Self.fileName)")
        let file = try Self.codec().1.decode(File.self, from: Data(contentsOf: url))
        #expect(file.failures.count == 11)
        for vector in file.failures {
            let identity = try Self.identity(
                keyringOwner: vector.keyringOwner, keyringName: vector.keyringName, keyringEpoch: vector.keyringEpoch,
                decryptingNode: vector.decryptingNode)
            var decryptor = AgeDecryptor(identities: [identity])
            var released = 0
            do {
                try decryptor.update([UInt8](try #require(Data(base64Encoded: vector.file)))) { released += $0.count }
                try decryptor.finish { released += $0.count }
                Issue.record("\(vector.description): decrypted")
            } catch let error as ArborError {
                #expect(error.code.description == vector.expect, "\(vector.description): \(error)")
            }
            #expect(released == 0, "\(vector.description)")
        }
        // The committed failures are exactly what the generator makes from the committed cases.
        let regenerated = try Self.failures(from: file.cases)
        #expect(regenerated.map(\.file) == file.failures.map(\.file))
    }
}
