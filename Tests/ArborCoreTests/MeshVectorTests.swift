import Crypto
import Foundation
import Testing

@testable import ArborCore

/// `Vectors/mesh.json`: keyring seeds and mesh tokens from fixed inputs (docs/formats.md,
/// "Test vectors"). Everything here is deterministic (Ed25519 signing included), so the tests
/// rebuild every vector and compare. Regenerate with `ARBOR_WRITE_VECTORS=1 swift test --filter MeshVectorTests`.
@Suite("Mesh vectors")
struct MeshVectorTests {
    struct File: Codable, Equatable {
        var description: String
        var rootKey: String
        var keyrings: [Keyring]
        var tokens: [Token]
    }

    struct Keyring: Codable, Equatable {
        var owner: String
        var name: String
        var identifier: String
        var epochSeeds: [String: String]
    }

    struct Token: Codable, Equatable {
        var description: String
        var keyringOwner: String
        var keyringName: String
        var cipher: String
        var epoch: UInt32
        var origin: String
        var signed: Bool
        var nonce: String
        var timeMilliseconds: Int64
        var context: String
        var plaintext: String
        var messageKey: String
        var messageNonce: String
        var token: String
        var text: String
    }

    static let fileName = "mesh.json"
    static let root = Fixtures.vectorRoot.node

    static func keyring(_ owner: String, _ name: String, cipher: MeshKeyring.Cipher = .chaCha20Poly1305, epochs: UInt32 = 1) throws
        -> MeshKeyring
    {
        let ownerSecret = try owner == "/" ? root : root.descendant(TreePath(parsing: owner))
        var ring = try MeshKeyring.create(name: name, owner: ownerSecret, cipher: cipher)
        for _ in 1..<epochs { try ring.rotate(owner: ownerSecret) }
        return ring
    }

    static func keyringVector(_ owner: String, _ name: String) throws -> Keyring {
        let ring = try keyring(owner, name, epochs: 3)
        let seeds = try Dictionary(
            uniqueKeysWithValues: ring.heldEpochs.map { (String($0), Hex.encode(try ring.seed(for: $0).bytesForEncoding)) })
        return Keyring(owner: owner, name: name, identifier: Hex.encode(ring.identifier), epochSeeds: seeds)
    }

    static func token(
        _ description: String, owner: String, name: String, cipher: MeshKeyring.Cipher, epochs: UInt32, origin: String, signed: Bool,
        nonce: [UInt8], time: Int64, context: String, plaintext: String
    ) throws -> Token {
        let ring = try keyring(owner, name, cipher: cipher, epochs: epochs)
        let originPath = try TreePath(parsing: origin)
        let signer = signed ? try root.descendant(originPath).keySet() : nil
        let sealed = try ring.seal(
            Array(plaintext.utf8), context: Array(context.utf8), origin: originPath, time: time, signer: signer, nonce: nonce)
        let (key, messageNonce) = sealed.provenance.messageKey(
            seed: try ring.seed(for: ring.activeEpoch), header: sealed.header, context: Array(context.utf8))
        return Token(
            description: description, keyringOwner: owner, keyringName: name, cipher: cipher.description, epoch: ring.activeEpoch,
            origin: origin, signed: signed, nonce: Hex.encode(nonce), timeMilliseconds: time, context: context, plaintext: plaintext,
            messageKey: Hex.encode(key.bytesForEncoding), messageNonce: Hex.encode(messageNonce), token: Hex.encode(sealed.encoded),
            text: sealed.text
        )
    }

    static func expected() throws -> File {
        File(
            description:
                "Arbor mesh vectors, format 1: keyring epoch seeds from the root key 000102...1f, and mesh tokens from fixed provenance nonces. See docs/formats.md.",
            rootKey: Hex.encode(Fixtures.vectorRoot.secret.bytesForEncoding),
            keyrings: [try keyringVector("eu", "payments"), try keyringVector("/", "sessions")],
            tokens: [
                try token(
                    "chacha20-poly1305, epoch 1, unsigned", owner: "eu", name: "payments", cipher: .chaCha20Poly1305, epochs: 1,
                    origin: "eu/node-7", signed: false, nonce: Array(0x10..<0x20), time: 1_795_000_000_000, context: "order 42",
                    plaintext: "card 4111 1111 1111 1111"),
                try token(
                    "aes-256-gcm, epoch 3, empty context and plaintext", owner: "eu", name: "payments", cipher: .aes256GCM, epochs: 3,
                    origin: "eu/node-8", signed: false, nonce: Array(repeating: 0xa5, count: 16), time: 0, context: "", plaintext: ""),
                try token(
                    "chacha20-poly1305, epoch 2, signed by the origin", owner: "/", name: "sessions", cipher: .chaCha20Poly1305, epochs: 2,
                    origin: "us/node-1", signed: true, nonce: Array(repeating: 0x00, count: 16), time: 1_800_000_000_123,
                    context: "session",
                    plaintext: "hello from us/node-1"),
            ]
        )
    }

    static func load() throws -> File { try Fixtures.loadVectors(File.self, from: fileName) }

    @Test("the vector file is current (ARBOR_WRITE_VECTORS=1 rewrites it)")
    func writeIfAsked() throws {
        try Fixtures.writeVectorsIfAsked(Self.expected, to: Self.fileName)
    }

    @Test("every mesh vector is rebuilt exactly, and every token opens to its plaintext")
    func vectors() throws {
        let file = try Self.load()
        #expect(file == (try Self.expected()))
        #expect(file.tokens.count == 3)
        for vector in file.tokens {
            let ring = try Self.keyring(
                vector.keyringOwner, vector.keyringName, cipher: try .init(parsing: vector.cipher), epochs: vector.epoch)
            let opened = try ring.open(try MeshToken(text: vector.text), context: Array(vector.context.utf8))
            #expect(String(decoding: opened, as: UTF8.self) == vector.plaintext)
        }
    }
}
