import ArborCore
import Crypto
import Foundation
import Testing

@testable import ArborE2EE

/// `Vectors/e2ee-conversations.json` (docs/e2ee.md §17): a conversation between two fixed
/// identities: its id, an epoch key's envelope, two messages, a token stream and its seal, and
/// both safety numbers. X-Wing encapsulation and ML-DSA-65 signing are randomised, so the
/// envelope and the ML-DSA halves of the signatures are checked by opening and verifying; every
/// other byte recomputes. Regenerate with `ARBOR_WRITE_VECTORS=1 swift test --filter
/// ConversationVectorTests`.
@Suite("E2EE conversation vectors")
struct ConversationVectorTests {
    struct Party: Codable, Equatable {
        var account: String
        var identitySeeds: String
        var receivingPublicKey: String
        var signingPublicKey: String
        var pqSigningPublicKey: String
        var safetyNumberDigits: String
        var safetyNumberWords: [String]
    }

    struct Message: Codable, Equatable {
        var kind: UInt8
        var epoch: UInt32
        var id: String
        var sender: String
        var sequence: UInt64
        var previous: String
        var nonce: String
        var plaintext: String
        var header: String
        var messageKey: String
        var message: String
    }

    struct Chunk: Codable, Equatable {
        var index: UInt64
        var isFinal: Bool
        var piece: String
        var chunk: String
    }

    struct File: Codable, Equatable {
        var description: String
        var alice: Party
        var bob: Party
        var conversationNonce: String
        var conversation: String
        var epochKey: String
        var envelopeToBob: String
        var messages: [Message]
        var streamKey: String
        var chunkKey: String
        var chunks: [Chunk]
        var transcriptHash: String
        var seal: String
    }

    static let fileName = "e2ee-conversations.json"
    static func bytes(_ range: Range<Int>) -> [UInt8] { range.map { UInt8($0 & 0xff) } }

    static func party(account: [UInt8], seeds: [UInt8]) throws -> (Party, AccountID, IdentityKeys) {
        let id = try AccountID(bytes: account)
        let identity = try IdentityKeys(seeds: SecretBytes(copying: seeds))
        let keys = identity.publicKeys
        let number = SafetyNumber(account: id, identity: keys)
        let party = Party(
            account: id.hex, identitySeeds: Hex.encode(seeds), receivingPublicKey: Hex.encode(keys.receiving),
            signingPublicKey: Hex.encode(keys.signing), pqSigningPublicKey: Hex.encode(keys.pqSigning),
            safetyNumberDigits: number.digits, safetyNumberWords: number.words)
        return (party, id, identity)
    }

    static func message(_ sealed: SealedMessage, plaintext: String, key: EpochKey) -> Message {
        let header = sealed.header
        return Message(
            kind: header.kind.rawValue, epoch: header.epoch, id: header.id.hex, sender: header.sender.hex, sequence: header.sequence,
            previous: header.previous.hex, nonce: Hex.encode(header.nonce), plaintext: plaintext, header: Hex.encode(header.encoded),
            messageKey: key.messageKey(conversation: header.conversation, epoch: header.epoch).withUnsafeBytes { Hex.encode(Array($0)) },
            message: Hex.encode(sealed.bytes))
    }

    /// Everything from fixed inputs; the envelope and signatures come out fresh each time.
    static func make() throws -> File {
        let (alice, aliceID, aliceIdentity) = try party(account: bytes(0x00..<0x10), seeds: bytes(0x40..<0xa0))
        let (bob, bobID, bobIdentity) = try party(account: bytes(0xb0..<0xc0), seeds: bytes(0x100..<0x160))
        let nonce = bytes(0x60..<0x70)
        let conversation = try ConversationID(creator: aliceID, nonce: nonce)
        let epochKey = EpochKey(key: SymmetricKey(data: bytes(0x70..<0x90)))
        let envelope = try KeyEnvelope.seal(
            epochKey, conversation: conversation, epoch: 0, recipient: bobID, recipientKeys: bobIdentity.publicKeys, adder: aliceID,
            adderIdentity: aliceIdentity)

        let hello = "Hello, Bob."
        let first = try SealedMessage.seal(
            Array(hello.utf8),
            header: MessageHeader(
                kind: .text, conversation: conversation, epoch: 0, id: MessageID(bytes: bytes(0x90..<0xa0)), sender: aliceID,
                sequence: 1, previous: .none, nonce: bytes(0xa0..<0xac)), epochKey: epochKey, senderIdentity: aliceIdentity)
        let streamKey = StreamKey(secret: SecretBytes(copying: bytes(0xe0..<0x100)))
        let opening = try SealedMessage.seal(
            streamKey.plaintext,
            header: MessageHeader(
                kind: .stream, conversation: conversation, epoch: 0, id: MessageID(bytes: bytes(0xc0..<0xd0)), sender: bobID,
                sequence: 1, previous: first.header.id, nonce: bytes(0xd0..<0xdc)), epochKey: epochKey, senderIdentity: bobIdentity)

        var writer = try StreamWriter(message: opening, streamKey: streamKey)
        let pieces = ["The answer", " is", " 42.", ""]
        var chunks: [Chunk] = []
        var transcript: [UInt8] = []
        for (index, piece) in pieces.enumerated() {
            let isFinal = index == pieces.count - 1
            let chunk = try writer.seal(Array(piece.utf8), isFinal: isFinal)
            transcript += UInt32(chunk.count).bigEndianBytes + chunk
            chunks.append(Chunk(index: UInt64(index), isFinal: isFinal, piece: piece, chunk: Hex.encode(chunk)))
        }
        let cipher = StreamChunkCipher(header: opening.header, streamKey: streamKey)
        return File(
            description:
                "One Arbor E2EE conversation between two fixed identities (docs/e2ee.md §10-§14): the conversation id, Alice's envelope of the epoch-0 key to Bob (X-Wing is randomised: open it with Bob's seeds), Alice's text message, Bob's token stream (its opening message carries the stream key), its chunks and Bob's seal, and both safety numbers. ML-DSA-65 signing is randomised: the last 3309 bytes of each signature verify but do not recompute. Byte strings are lower-case hex.",
            alice: alice, bob: bob, conversationNonce: Hex.encode(nonce), conversation: conversation.hex,
            epochKey: Hex.encode(bytes(0x70..<0x90)), envelopeToBob: Hex.encode(envelope.bytes),
            messages: [
                message(first, plaintext: hello, key: epochKey),
                message(opening, plaintext: Hex.encode(streamKey.plaintext), key: epochKey),
            ],
            streamKey: Hex.encode(streamKey.plaintext), chunkKey: cipher.key.withUnsafeBytes { Hex.encode(Array($0)) }, chunks: chunks,
            transcriptHash: Hex.encode(Array(SHA256.hash(data: transcript))), seal: Hex.encode(try writer.seal(with: bobIdentity)))
    }

    /// The file with the randomised parts blanked, to compare a fresh `make()` with it.
    static func deterministic(_ file: File) -> File {
        var copy = file
        copy.envelopeToBob = ""
        let mldsaHex = HybridSignature.mldsa65Size * 2
        for index in copy.messages.indices { copy.messages[index].message.removeLast(mldsaHex) }
        copy.seal.removeLast(mldsaHex)
        return copy
    }

    static func committed() throws -> File {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let url = try #require(Bundle.module.url(forResource: "Vectors/\(fileName)", withExtension: nil))
        return try decoder.decode(File.self, from: Data(contentsOf: url))
    }

    @Test("the committed conversation recomputes, and its envelope, messages and stream open and verify")
    func committedFile() throws {
        let made = try Self.make()
        if ProcessInfo.processInfo.environment["ARBOR_WRITE_VECTORS"] == "1" {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(Self.fileName)")
            try encoder.encode(made).write(to: path)
        }
        let file = try Self.committed()
        #expect(Self.deterministic(file) == Self.deterministic(made))

        let alice = try IdentityKeys(seeds: SecretBytes(copying: try Hex.decode(file.alice.identitySeeds)))
        let bob = try IdentityKeys(seeds: SecretBytes(copying: try Hex.decode(file.bob.identitySeeds)))
        let conversation = try ConversationID(hex: file.conversation)
        let identities = [
            try AccountID(hex: file.alice.account): alice.publicKeys, try AccountID(hex: file.bob.account): bob.publicKeys,
        ]
        let envelope = try KeyEnvelope(bytes: try Hex.decode(file.envelopeToBob))
        let epochKey = try envelope.open(with: bob, adderKeys: alice.publicKeys)
        #expect(epochKey.key.withUnsafeBytes { Hex.encode(Array($0)) } == file.epochKey)

        // Bob reads both messages as the reader does, then the stream, then its seal.
        let selfEnvelope = try KeyEnvelope.seal(
            epochKey, conversation: conversation, epoch: 0, recipient: try AccountID(hex: file.alice.account),
            recipientKeys: alice.publicKeys, adder: try AccountID(hex: file.alice.account), adderIdentity: alice)
        let membership = try ConversationMembership(
            conversation: conversation, creator: try AccountID(hex: file.alice.account), nonce: try Hex.decode(file.conversationNonce),
            envelopes: [selfEnvelope, envelope], identities: identities)
        var reader = ConversationReader(conversation: conversation)
        let reads = try file.messages.map {
            try reader.read(
                try SealedMessage(bytes: try Hex.decode($0.message)), membership: membership, epochKeys: [0: epochKey],
                identities: identities)
        }
        #expect(String(decoding: reads[0].plaintext, as: UTF8.self) == file.messages[0].plaintext)
        var stream = try StreamReader(message: reads[1].message, opened: reads[1].plaintext)
        let text = try file.chunks.map {
            String(decoding: try stream.open(try Hex.decode($0.chunk), index: $0.index, isFinal: $0.isFinal), as: UTF8.self)
        }
        #expect(text == file.chunks.map(\.piece))
        try stream.verifySeal(try Hex.decode(file.seal), senderKeys: bob.publicKeys)
    }
}
