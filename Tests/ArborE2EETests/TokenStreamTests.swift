import ArborCore
import Testing

@testable import ArborE2EE

/// Token streams (issue 12, point 5): each chunk opens on arrival, only in its place; a dropped,
/// repeated, reordered or cut chunk is refused, and the seal ties the whole stream to its sender.
@Suite("E2EE token streams")
struct TokenStreamTests {
    struct Stream {
        let fixture: ConversationTests.Fixture
        let message: SealedMessage
        var writer: StreamWriter
        var chunks: [(bytes: [UInt8], isFinal: Bool)] = []

        init(pieces: [String]) throws {
            fixture = try ConversationTests.Fixture()
            let key = StreamKey.random()
            let header = try MessageHeader(
                kind: .stream, conversation: fixture.conversation, epoch: 0, sender: fixture.bob.account, sequence: 1, previous: .none)
            message = try SealedMessage.seal(key.plaintext, header: header, epochKey: fixture.key0, senderIdentity: fixture.bob.identity)
            writer = try StreamWriter(message: message, streamKey: key)
            for (index, piece) in pieces.enumerated() {
                let isFinal = index == pieces.count - 1
                chunks.append((try writer.seal(Array(piece.utf8), isFinal: isFinal), isFinal))
            }
        }

        /// A reader that opened the stream's message as a member does.
        func reader() throws -> StreamReader {
            var conversation = ConversationReader(conversation: fixture.conversation)
            let read = try conversation.read(
                message, membership: try fixture.membership(), epochKeys: [0: fixture.key0], identities: fixture.identities)
            return try StreamReader(message: message, opened: read.plaintext)
        }
    }

    @Test func aStreamReadsPieceByPieceAndSeals() throws {
        let stream = try Stream(pieces: ["The ", "answer ", "is 42", ""])
        let seal = try stream.writer.seal(with: stream.fixture.bob.identity)
        var reader = try stream.reader()
        var text = ""
        for (index, chunk) in stream.chunks.enumerated() {
            text += String(decoding: try reader.open(chunk.bytes, index: UInt64(index), isFinal: chunk.isFinal), as: UTF8.self)
        }
        #expect(text == "The answer is 42")
        try reader.verifySeal(seal, senderKeys: stream.fixture.bob.publicKeys)
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try reader.verifySeal(seal, senderKeys: stream.fixture.alice.publicKeys)
        }
        #expect(stream.chunks.allSatisfy { $0.bytes.count >= 16 } && stream.chunks[0].bytes.count == 4 + 16)
    }

    @Test func droppedRepeatedReorderedAndCutChunksAreRefused() throws {
        let stream = try Stream(pieces: ["a", "b", "c", "d"])
        let chunks = stream.chunks

        var dropped = try stream.reader()
        _ = try dropped.open(chunks[0].bytes, index: 0, isFinal: false)
        #expect(throws: ArborError(.truncated, "")) { try dropped.open(chunks[2].bytes, index: 2, isFinal: false) }
        // The node relabels chunk 2 as chunk 1: it does not open in that place.
        #expect(throws: ArborError(.authenticationFailed, "")) { try dropped.open(chunks[2].bytes, index: 1, isFinal: false) }

        var repeated = try stream.reader()
        _ = try repeated.open(chunks[0].bytes, index: 0, isFinal: false)
        #expect(throws: ArborError(.replayed, "")) { try repeated.open(chunks[0].bytes, index: 0, isFinal: false) }
        #expect(throws: ArborError(.authenticationFailed, "")) { try repeated.open(chunks[0].bytes, index: 1, isFinal: false) }

        // Cut: chunk 2 presented as the final one, or the stream ending after it.
        var cut = try stream.reader()
        for index in 0..<2 { _ = try cut.open(chunks[index].bytes, index: UInt64(index), isFinal: false) }
        #expect(throws: ArborError(.authenticationFailed, "")) { try cut.open(chunks[2].bytes, index: 2, isFinal: true) }
        _ = try cut.open(chunks[2].bytes, index: 2, isFinal: false)
        let seal = try stream.writer.seal(with: stream.fixture.bob.identity)
        #expect(throws: ArborError(.truncated, "")) { try cut.verifySeal(seal, senderKeys: stream.fixture.bob.publicKeys) }

        // A chunk of another stream (another message id), in the right place, does not open.
        let other = try Stream(pieces: ["x", "y"])
        var mixed = try stream.reader()
        #expect(throws: ArborError(.authenticationFailed, "")) { try mixed.open(other.chunks[0].bytes, index: 0, isFinal: false) }
    }

    @Test func aMemberCannotForgeAStreamPastItsSeal() throws {
        // Alice holds the stream key (she reads the stream) and, with the node, replaces the last
        // chunk: it opens, but the seal Bob made no longer verifies.
        let stream = try Stream(pieces: ["pay ", "Bob"])
        let seal = try stream.writer.seal(with: stream.fixture.bob.identity)
        var reader = try stream.reader()
        _ = try reader.open(stream.chunks[0].bytes, index: 0, isFinal: false)
        let key = try StreamKey(opened: try stream.message.open(epochKey: stream.fixture.key0))
        var forger = try StreamWriter(message: stream.message, streamKey: key)
        _ = try forger.seal(Array("pay ".utf8), isFinal: false)
        let forged = try forger.seal(Array("Mallory".utf8), isFinal: true)
        #expect(String(decoding: try reader.open(forged, index: 1, isFinal: true), as: UTF8.self) == "Mallory")
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try reader.verifySeal(seal, senderKeys: stream.fixture.bob.publicKeys)
        }
    }

    @Test func piecesAreBounded() throws {
        var stream = try Stream(pieces: [])
        #expect(throws: ArborError(.limitExceeded, "")) { try stream.writer.seal([UInt8](repeating: 0, count: 65_537), isFinal: true) }
        _ = try stream.writer.seal([UInt8](repeating: 0, count: 65_536), isFinal: true)
        #expect(throws: ArborError(.invalidArgument, "")) { try stream.writer.seal([], isFinal: true) }
    }
}
