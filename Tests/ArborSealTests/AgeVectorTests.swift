import ArborCore
import Crypto
import Foundation
import Testing

@testable import ArborSeal

/// Every CCTV age vector in `Vectors/age`: success vectors decrypt to the expected payload hash;
/// failure vectors fail with the matching kind of error, and the plaintext released before the
/// failure hashes to the vector's payload hash (or is empty when the vector gives none).
@Suite("age CCTV vectors")
struct AgeVectorTests {
    /// The outcome of one decryption: the kind of result, in CCTV's words, and what was released.
    struct Outcome: Equatable, CustomStringConvertible {
        let kind: String
        let released: [UInt8]
        let message: String

        var description: String { "\(kind) after releasing \(released.count) bytes (\(message))" }

        static func == (lhs: Outcome, rhs: Outcome) -> Bool { lhs.kind == rhs.kind && lhs.released == rhs.released }
    }

    /// Identity types Arbor implements; any other (the hardware `tag` types) makes a vector skipped.
    static func identities(for vector: AgeVector) throws -> [AgeIdentity]? {
        var identities: [AgeIdentity] = []
        for text in vector.identities {
            guard text.hasPrefix("AGE-SECRET-KEY-1") || text.hasPrefix("AGE-SECRET-KEY-PQ-1") else { return nil }
            identities.append(try AgeIdentity(parsing: text))
        }
        for passphrase in vector.passphrases {
            identities.append(try AgeIdentity.scrypt(passphrase: SecretBytes(copying: Array(passphrase.utf8))))
        }
        return identities
    }

    static func classify(_ error: any Error, authenticatedHeader: Bool) -> String {
        guard let error = error as? ArborError else { return "unexpected error \(error)" }
        switch error.code {
        case .malformedInput: return "armor failure"
        case .noMatchingKey, .wrongPassphrase: return "no match"
        case .authenticationFailed where !authenticatedHeader: return "HMAC failure"
        // A work factor above the limit is refused before any work, as age does (age calls it a header failure).
        case .corruptFile where !authenticatedHeader, .unsupportedVersion where !authenticatedHeader,
            .limitExceeded where !authenticatedHeader:
            return "header failure"
        case .truncated, .authenticationFailed, .corruptFile: return "payload failure"
        default: return "unexpected error \(error)"
        }
    }

    /// Decrypts `file`, fed in pieces of `pieceSize` bytes (all at once when nil).
    static func decrypt(
        _ file: [UInt8], identities: [AgeIdentity], armor: AgeDecryptor.ArmorHandling, pieceSize: Int?, chunksPerBatch: Int
    ) -> Outcome {
        var decryptor = AgeDecryptor(identities: identities, armor: armor, chunksPerBatch: chunksPerBatch)
        var released: [UInt8] = []
        do {
            var start = 0
            let step = pieceSize ?? max(file.count, 1)
            while start < file.count {
                let end = min(start + step, file.count)
                try decryptor.update(file[start..<end]) { released += $0 }
                start = end
            }
            try decryptor.finish { released += $0 }
            return Outcome(kind: "success", released: released, message: "")
        } catch {
            return Outcome(
                kind: classify(error, authenticatedHeader: decryptor.hasAuthenticatedHeader), released: released, message: "\(error)")
        }
    }

    @Test("each vector decrypts or fails as expected", arguments: try AgeVector.names())
    func vector(_ name: String) throws {
        let vector = try AgeVector.load(name)
        guard let identities = try Self.identities(for: vector) else {
            print("SKIPPED age vector \(name): its identity type is not implemented (hardware tag types)")
            return
        }
        let armor: AgeDecryptor.ArmorHandling = vector.armored ? .armored : .binary
        let outcome = Self.decrypt(vector.file, identities: identities, armor: armor, pieceSize: nil, chunksPerBatch: 4)
        #expect(outcome.kind == vector.expect, "\(name): \(outcome.message)")
        if let payloadHash = vector.payloadHash {
            #expect(sha256(outcome.released) == payloadHash, "\(name): released \(outcome.released.count) bytes")
        } else {
            #expect(outcome.released.isEmpty, "\(name): released \(outcome.released.count) bytes without a payload hash")
        }
        // The same result fed in awkward pieces, one chunk per batch, and with armor detection.
        for (pieceSize, batch) in [(7, 1), (65_552, 2), (100_000, 3)] {
            let again = Self.decrypt(vector.file, identities: identities, armor: armor, pieceSize: pieceSize, chunksPerBatch: batch)
            #expect(again == outcome, "\(name) in pieces of \(pieceSize): \(again) instead of \(outcome)")
        }
        let firstByte = vector.file.first(where: { !AgeArmor.isWhitespace($0) })
        if !vector.armored || firstByte == UInt8(ascii: "-") {
            let detected = Self.decrypt(vector.file, identities: identities, armor: .detect, pieceSize: 1000, chunksPerBatch: 4)
            #expect(detected == outcome, "\(name) with armor detection: \(detected) instead of \(outcome)")
        }
    }

    @Test("round trips: headers re-encode byte for byte, payloads re-encrypt byte for byte")
    func roundTrips() throws {
        var headers = 0
        var payloads = 0
        for name in try AgeVector.names() {
            let vector = try AgeVector.load(name)
            guard vector.expect != "header failure", vector.expect != "armor failure" else { continue }
            var file = vector.file
            if vector.armored {
                var decoder = AgeArmorDecoder()
                var binary: [UInt8] = []
                try decoder.decode(file, into: &binary)
                try decoder.finish(into: &binary)
                file = binary
            }
            let header = try AgeHeader(parsing: file)
            var encoded = Array("age-encryption.org/v1\n".utf8)
            for stanza in header.stanzas { encoded += stanza.encoded }
            encoded += Array("--- ".utf8) + AgeBase64.encode(header.mac, padded: false) + [0x0A]
            #expect(encoded == header.encoded, "\(name): header does not re-encode identically")
            headers += 1

            guard vector.expect == "success", let fileKeyBytes = vector.fileKey,
                let identities = try Self.identities(for: vector)
            else { continue }
            let fileKey = SymmetricKey(data: fileKeyBytes)
            let plaintext = try Age.decrypt(vector.file, identities: identities)
            let payload = Array(file[header.encoded.count...])
            let key = AgeChunkCipher.payloadKey(fileKey: fileKey, nonce: Array(payload.prefix(16)))
            let resealed = try AgeChunkCipher.seal(plaintext[...], firstCounter: 0, endsStream: true, key: key)
            #expect(resealed == Array(payload.dropFirst(16)), "\(name): payload does not re-encrypt identically")
            #expect(header.verifyMAC(fileKey: fileKey), "\(name): MAC")
            payloads += 1
        }
        print("age vectors: \(headers) headers re-encoded, \(payloads) payloads re-encrypted identically")
        #expect(headers > 50 && payloads > 20)
    }

    @Test("summary: how many vectors run, and which are skipped")
    func summary() throws {
        let names = try AgeVector.names()
        var skipped: [String] = []
        var compressed = 0
        var postQuantum = 0
        for name in names {
            let vector = try AgeVector.load(name)
            if try Self.identities(for: vector) == nil { skipped.append(name) }
            if vector.compressed { compressed += 1 }
            if vector.identities.contains(where: { $0.hasPrefix("AGE-SECRET-KEY-PQ-1") }) { postQuantum += 1 }
        }
        print(
            "age vectors: \(names.count) found, \(names.count - skipped.count) run (\(postQuantum) post-quantum, \(compressed) zlib-compressed), "
                + "\(skipped.count) skipped\(skipped.isEmpty ? " (no vectors of unimplemented recipient types)" : " (their identity types, the hardware tag types, are not implemented): \(skipped.joined(separator: ", "))")"
        )
        #expect(names.count == 143, "the CCTV age vector directory in ../shared/vectors/age holds 143 files")
    }
}
