import ArborCore
import Crypto
import Testing

@testable import ArborSeal

/// The encryptor seals chunks straight from the caller's pieces, holding back at most one chunk,
/// and the decryptor opens whole chunks in place as soon as they arrive. Whatever the split and
/// the batch size, the file is byte for byte the one-shot STREAM encryption under its own payload
/// key, and decrypting it in any split gives the plaintext back.
@Suite("age stream pieces")
struct AgeStreamPiecesTests {
    static let identity = AgeIdentity.generateX25519()
    static let chunk = AgeChunkCipher.plaintextSize
    static let sealedChunk = AgeChunkCipher.ciphertextSize

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) } }

    /// Feeds `bytes` in pieces of the given sizes, cycling through them, with an empty piece first.
    static func pieces(_ bytes: [UInt8], sizes: [Int]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = [bytes[0..<0]]
        var start = 0
        var index = 0
        while start < bytes.count {
            let end = min(bytes.count, start + sizes[index % sizes.count])
            result.append(bytes[start..<end])
            start = end
            index += 1
        }
        return result
    }

    /// The payload a one-shot seal of `plaintext` gives under this file's payload key.
    static func expectedPayload(_ file: [UInt8], header: AgeHeader, plaintext: [UInt8]) throws -> [UInt8] {
        guard case .fileKey(let fileKey) = try identity.unwrap(header.stanzas) else {
            Issue.record("the identity does not open its own file")
            return []
        }
        let start = header.encoded.count
        let key = AgeChunkCipher.payloadKey(fileKey: fileKey, nonce: Array(file[start..<start + AgeChunkCipher.payloadNonceSize]))
        return try AgeChunkCipher.seal(plaintext[...], firstCounter: 0, endsStream: true, key: key)
    }

    @Test(
        "any split of the plaintext and any batch size give the same STREAM bytes",
        arguments: [0, 2 * chunk, 2 * chunk + 1, 3 * chunk - 1])
    func encryptSplits(size: Int) throws {
        let plaintext = Self.pattern(size)
        let splits = [[Self.chunk], [Self.chunk - 1], [Self.chunk + 1], [1, Self.chunk - 1, 2 * Self.chunk], [100_000], [max(1, size)]]
        for sizes in splits {
            for batch in [1, 2, 16] {
                var encryptor = try AgeEncryptor(recipients: [Self.identity.recipient!], chunksPerBatch: batch)
                var file: [UInt8] = []
                for piece in Self.pieces(plaintext, sizes: sizes) { file += try encryptor.update(piece) }
                file += try encryptor.finish()
                let payloadStart = encryptor.header.encoded.count + AgeChunkCipher.payloadNonceSize
                let expected = try Self.expectedPayload(file, header: encryptor.header, plaintext: plaintext)
                #expect(Array(file[payloadStart...]) == expected, "pieces \(sizes), batch \(batch), \(size) bytes")
            }
        }
    }

    @Test("any split of the file, contiguous or not, and any batch size decrypt to the plaintext")
    func decryptSplits() throws {
        for size in [0, 1, Self.chunk, 3 * Self.chunk, 3 * Self.chunk + 5] {
            let plaintext = Self.pattern(size)
            let file = try Age.encrypt(plaintext, to: [Self.identity.recipient!])
            for sizes in [[Self.sealedChunk], [Self.sealedChunk - 1], [Self.sealedChunk + 1], [7, 70_000], [1 << 20]] {
                for batch in [1, 3, 16] {
                    var decryptor = AgeDecryptor(identities: [Self.identity], chunksPerBatch: batch)
                    var released: [UInt8] = []
                    for (index, piece) in Self.pieces(file, sizes: sizes).enumerated() {
                        if index % 3 == 2 {
                            // A collection with no contiguous storage takes the copying path.
                            try decryptor.update(piece.reversed().reversed()) { released += $0 }
                        } else {
                            try decryptor.update(piece) { released += $0 }
                        }
                    }
                    try decryptor.finish { released += $0 }
                    #expect(released == plaintext, "\(size) bytes, pieces \(sizes), batch \(batch)")
                }
            }
        }
    }

    @Test("a damaged chunk in the middle of a piece: exactly the chunks before it are released")
    func damageInsidePiece() throws {
        let plaintext = Self.pattern(6 * Self.chunk + 100)
        var file = try Age.encrypt(plaintext, to: [Self.identity.recipient!])
        let payloadStart = file.count - (plaintext.count + 7 * AgeChunkCipher.tagSize)
        file[payloadStart + 4 * Self.sealedChunk + 10] ^= 0x80
        for batch in [1, 3, 16] {
            var decryptor = AgeDecryptor(identities: [Self.identity], chunksPerBatch: batch)
            var released: [UInt8] = []
            var error: ArborError?
            do {
                try decryptor.update(file) { released += $0 }
                try decryptor.finish { released += $0 }
            } catch let caught as ArborError {
                error = caught
            }
            #expect(error?.code == .authenticationFailed, "batch \(batch)")
            #expect(released == Array(plaintext.prefix(4 * Self.chunk)), "batch \(batch)")
        }
    }
}
