import ArborCore
import Crypto
import Foundation
import Testing

@testable import ArborSeal

/// Streaming encryption and decryption: sizes around the 64 KiB chunk boundary, inputs fed in
/// awkward and discontiguous pieces, parallel batches, and every kind of damage.
@Suite("age streams")
struct AgeStreamTests {
    static let identity = AgeIdentity.generateX25519()
    static var recipient: AgeRecipient { identity.recipient! }

    static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Decrypts in pieces; returns what was released and the error, if any.
    static func decrypt(_ file: [UInt8], identities: [AgeIdentity] = [identity], piece: Int = 50_000, batch: Int = 4) -> (
        released: [UInt8], error: ArborError?
    ) {
        var decryptor = AgeDecryptor(identities: identities, chunksPerBatch: batch)
        var released: [UInt8] = []
        do {
            var start = 0
            while start < file.count {
                try decryptor.update(file[start..<min(start + piece, file.count)]) { released += $0 }
                start += piece
            }
            try decryptor.finish { released += $0 }
            return (released, nil)
        } catch {
            return (released, error as? ArborError)
        }
    }

    static let chunk = AgeChunkCipher.plaintextSize
    static let sealedChunk = AgeChunkCipher.ciphertextSize

    @Test(
        "round trip at sizes around the chunk boundary, binary and armored",
        arguments: [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk, 3 * chunk + 17])
    func roundTrip(size: Int) throws {
        let plaintext = Self.random(size)
        for armored in [false, true] {
            for batch in [1, 3] {
                var encryptor = try AgeEncryptor(recipients: [Self.recipient], armored: armored, chunksPerBatch: batch)
                var file: [UInt8] = []
                var start = 0
                while start < plaintext.count {
                    file += try encryptor.update(plaintext[start..<min(start + 10_000, plaintext.count)])
                    start += 10_000
                }
                file += try encryptor.finish()
                let (released, error) = Self.decrypt(file, batch: batch)
                #expect(error == nil, "\(size) bytes, armored \(armored): \(String(describing: error))")
                #expect(released == plaintext)
                if !armored {
                    // Exactly one tag per chunk, and a full last chunk stays full (no empty extra chunk).
                    let chunks = max(1, (size + Self.chunk - 1) / Self.chunk)
                    #expect(file.count == encryptor.header.encoded.count + 16 + size + 16 * chunks)
                }
            }
        }
    }

    @Test("a few MiB on all cores, fed as discontiguous collections, come back in order")
    func parallelLarge() throws {
        let plaintext = Self.random(5 << 20 + 12_345)
        var encryptor = try AgeEncryptor(recipients: [Self.recipient], chunksPerBatch: 8)
        // A reversed view of a reversed array: a collection with no contiguous storage.
        var file = try encryptor.update(plaintext.reversed().reversed())
        file += try encryptor.finish()
        #expect(try Age.decrypt(file, identities: [Self.identity]) == plaintext)
        let (released, error) = Self.decrypt(file, piece: 1 << 20, batch: 16)
        #expect(error == nil && released == plaintext)
    }

    @Test("sealing a batch of chunks concurrently gives the same bytes as one chunk at a time")
    func batchEqualsSequential() throws {
        let key = SymmetricKey(size: .bits256)
        let plaintext = Self.random(10 * Self.chunk + 99)
        let batch = try AgeChunkCipher.seal(plaintext[...], firstCounter: 0, endsStream: true, key: key)
        var sequential: [UInt8] = []
        for index in 0..<10 {
            sequential += try AgeChunkCipher.seal(
                plaintext[index * Self.chunk..<(index + 1) * Self.chunk], firstCounter: UInt64(index), endsStream: false, key: key)
        }
        sequential += try AgeChunkCipher.seal(plaintext[(10 * Self.chunk)...], firstCounter: 10, endsStream: true, key: key)
        #expect(batch == sequential)
    }

    /// A three-and-a-bit chunk file and where its chunks start.
    static func sample() throws -> (plaintext: [UInt8], file: [UInt8], payloadStart: Int) {
        let plaintext = random(3 * chunk + 1000)
        var encryptor = try AgeEncryptor(recipients: [recipient])
        let file = try encryptor.update(plaintext) + encryptor.finish()
        return (plaintext, file, encryptor.header.encoded.count + 16)
    }

    @Test("a flipped bit anywhere is caught; only whole verified chunks before it are released")
    func bitFlips() throws {
        let (plaintext, file, payload) = try Self.sample()
        let cases: [(offset: Int, code: ArborError.Code, releasedChunks: Int)] = [
            (30, .corruptFile, 0),  // the X25519 share in the stanza line: not canonical base64 any more, or no match
            (payload - 20, .authenticationFailed, 0),  // the MAC's base64: another MAC, or not canonical
            (payload - 3, .authenticationFailed, 0),  // the payload nonce
            (payload + 5, .authenticationFailed, 0),  // chunk 0
            (payload + Self.sealedChunk + 5, .authenticationFailed, 1),  // chunk 1
            (file.count - 1, .authenticationFailed, 3),  // the final chunk's tag
        ]
        for (offset, code, releasedChunks) in cases {
            var damaged = file
            damaged[offset] ^= 0x01
            let (released, error) = Self.decrypt(damaged, piece: 70_000, batch: 1)
            let acceptable: [ArborError.Code] =
                offset == 30
                ? [.corruptFile, .noMatchingKey, .authenticationFailed] : offset == payload - 20 ? [code, .corruptFile] : [code]
            #expect(error.map { acceptable.contains($0.code) } == true, "flip at \(offset): \(String(describing: error))")
            #expect(released == Array(plaintext.prefix(releasedChunks * Self.chunk)), "flip at \(offset)")
        }
    }

    @Test("truncation, reordering and extension are each reported distinctly")
    func structuralDamage() throws {
        let (plaintext, file, payload) = try Self.sample()
        // Cut at a chunk boundary: every chunk left verifies, but the final one is missing.
        let atBoundary = Self.decrypt(Array(file.prefix(payload + 2 * Self.sealedChunk)))
        #expect(atBoundary.error?.code == .truncated)
        #expect(atBoundary.error?.message.contains("truncated") == true)
        #expect(atBoundary.released == Array(plaintext.prefix(2 * Self.chunk)))
        // Cut after the header, inside the nonce, inside a chunk, inside a tag.
        #expect(Self.decrypt(Array(file.prefix(payload))).error?.code == .truncated)
        #expect(Self.decrypt(Array(file.prefix(payload - 4))).error?.code == .corruptFile)
        #expect(Self.decrypt(Array(file.prefix(payload + 1000))).error?.code == .authenticationFailed)
        #expect(Self.decrypt(Array(file.prefix(payload + 3 * Self.sealedChunk + 10))).error?.code == .truncated)
        // Two chunks swapped.
        var swapped = file
        let first = payload..<payload + Self.sealedChunk
        let second = payload + Self.sealedChunk..<payload + 2 * Self.sealedChunk
        swapped.replaceSubrange(first, with: file[second])
        swapped.replaceSubrange(second, with: file[first])
        let reordered = Self.decrypt(swapped)
        #expect(reordered.error?.code == .authenticationFailed && reordered.released.isEmpty)
        // Data appended after a short final chunk changes where that chunk ends: it no longer
        // authenticates. After a full final chunk, the extra data itself is reported.
        #expect(Self.decrypt(file + [0]).error?.code == .authenticationFailed)
        let whole = Self.random(2 * Self.chunk)
        let full = try Age.encrypt(whole, to: [Self.recipient])
        let extended = Self.decrypt(full + [0])
        #expect(extended.error?.code == .corruptFile)
        #expect(extended.error?.message.contains("final chunk") == true)
        #expect(extended.released == whole)
        let duplicated = Self.decrypt(full + full.suffix(Self.sealedChunk))
        #expect(duplicated.error?.code == .corruptFile)
        // After an error, the decryptor keeps failing.
        var decryptor = AgeDecryptor(identities: [Self.identity])
        #expect(throws: ArborError.self) {
            try decryptor.update(Array(file.prefix(payload - 4))) { _ in }; try decryptor.finish { _ in }
        }
        #expect(throws: ArborError.self) { try decryptor.update(file) { _ in } }
    }

    @Test("wrong identities and passphrases; recipient rules")
    func identitiesAndRecipients() throws {
        let plaintext = Array("hello".utf8)
        let file = try Age.encrypt(plaintext, to: [Self.recipient])
        #expect(throws: ArborError(.noMatchingKey, "")) { try Age.decrypt(file, identities: [.generateX25519()]) }
        #expect(throws: ArborError(.noMatchingKey, "")) { try Age.decrypt(file, identities: [try .generatePostQuantum()]) }
        // Several recipients: each one opens it; a non-matching identity first is skipped.
        let pq = try AgeIdentity.generatePostQuantum()
        let other = AgeIdentity.generateX25519()
        let multi = try Age.encrypt(plaintext, to: [Self.recipient, other.recipient!])
        #expect(try Age.decrypt(multi, identities: [pq, other]) == plaintext)
        #expect(try Age.decrypt(try Age.encrypt(plaintext, to: [pq.recipient!]), identities: [Self.identity, pq]) == plaintext)

        let passphrase = SecretBytes(copying: Array("correct horse".utf8))
        let sealed = try Age.encrypt(plaintext, to: [try .scrypt(passphrase: passphrase, unsafeWorkFactor: 10)], armored: true)
        #expect(String(decoding: sealed.prefix(34), as: UTF8.self) == "-----BEGIN AGE ENCRYPTED FILE-----")
        #expect(try Age.decrypt(sealed, identities: [try .scrypt(passphrase: passphrase)]) == plaintext)
        #expect(throws: ArborError(.wrongPassphrase, "")) {
            try Age.decrypt(sealed, identities: [try .scrypt(passphrase: SecretBytes(copying: Array("wrong".utf8)))])
        }
        #expect(throws: ArborError(.noMatchingKey, "")) { try Age.decrypt(sealed, identities: [Self.identity]) }
        // A work factor above the reader's limit is refused before any scrypt work.
        #expect(throws: ArborError(.limitExceeded, "")) {
            try Age.decrypt(sealed, identities: [try .scrypt(passphrase: passphrase, maximumWorkFactor: 9)])
        }

        // Encryption refuses what would weaken the file.
        #expect(throws: ArborError(.invalidArgument, "")) { try AgeEncryptor(recipients: []) }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try AgeEncryptor(recipients: [try .scrypt(passphrase: passphrase), Self.recipient])
        }
        #expect(throws: ArborError(.invalidArgument, "")) { try AgeEncryptor(recipients: [pq.recipient!, Self.recipient]) }
        #expect(throws: ArborError(.invalidArgument, "")) { try AgeRecipient.scrypt(passphrase: passphrase, workFactor: 10) }
    }

    @Test("the header parser rejects garbage quickly and bounds its memory")
    func headerRobustness() throws {
        #expect(throws: ArborError(.corruptFile, "")) { try AgeHeader(parsing: []) }
        #expect(throws: ArborError(.corruptFile, "")) { try AgeHeader(parsing: Array("PK\u{3}\u{4}".utf8)) }
        // Not an age file: refused on the first bytes, without waiting for a newline.
        var decryptor = AgeDecryptor(identities: [Self.identity], armor: .binary)
        #expect(throws: ArborError(.corruptFile, "")) { try decryptor.update(Array("%PDF-1.7".utf8)) { _ in } }
        // A header that never ends is refused at the size limit.
        var endless = AgeDecryptor(identities: [Self.identity], armor: .binary)
        let bodyLine = [UInt8](repeating: UInt8(ascii: "A"), count: 64) + [0x0A]
        var fed = Array("age-encryption.org/v1\n-> X\n".utf8)
        var error: ArborError?
        do {
            try endless.update(fed) { _ in }
            while fed.count < 2 * AgeHeader.maximumSize {
                let piece = Array(Array(repeating: bodyLine, count: 1000).joined())
                fed += piece
                try endless.update(piece) { _ in }
            }
        } catch let caught as ArborError {
            error = caught
        }
        #expect(fed.count > AgeHeader.maximumSize && fed.count < AgeHeader.maximumSize + 70_000)
        #expect(error?.code == .corruptFile)
        // Random bytes after a valid version line never crash the parser.
        for _ in 0..<200 {
            let noise = Array("age-encryption.org/v1\n".utf8) + Self.random(Int.random(in: 0...300))
            _ = try? AgeHeader(parsing: noise)
        }
    }
}
