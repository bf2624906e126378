import ArborCore
import Crypto

/// Decrypts an age v1 stream in constant memory, releasing plaintext only chunk by verified chunk.
///
/// Feed it the file in pieces of any size; verified plaintext goes to the `plaintext` closure,
/// in order. A chunk's plaintext is released only after its tag verified; a truncated stream
/// (no final chunk), a chunk modified or moved, and data after the final chunk each end in a
/// distinct error. Whatever reached the closure before an error is authentic, but the stream as a
/// whole is only complete when `finish` returns.
///
/// Errors (all `ArborError`):
/// - `malformedInput`: the ASCII armor is not strict;
/// - `corruptFile` / `unsupportedVersion`: the header does not parse, a stanza for one of our
///   identities is malformed, or the payload is malformed (data after the final chunk, an empty
///   final chunk);
/// - `noMatchingKey`: no identity opens any stanza; `wrongPassphrase`: the passphrase is wrong;
/// - `authenticationFailed`: the header MAC, or a chunk's tag, does not verify;
/// - `truncated`: the data ends before the final chunk.
public struct AgeDecryptor {
    public enum ArmorHandling: Sendable {
        /// Armored when the first non-whitespace byte is '-', binary otherwise.
        case detect
        case armored
        case binary
    }

    /// Returns the identities to try, given the parsed (not yet authenticated) header: lets a
    /// caller ask for a passphrase only when the file has an scrypt stanza.
    public typealias IdentityProvider = (AgeHeader) throws -> [AgeIdentity]

    private var armorHandling: ArmorHandling
    private var armor: AgeArmorDecoder?
    private var detectionBuffer: [UInt8] = []
    private let identityProvider: IdentityProvider
    private let chunksPerBatch: Int
    private var parser = AgeHeaderParser()
    private var buffer: [UInt8] = []
    private var payloadKey: SymmetricKey?
    private var counter: UInt64 = 0
    private var sawFinalChunk = false
    private var failure: (any Error)?
    private var finished = false

    /// The header, once parsed (it is authenticated once `hasAuthenticatedHeader` is true).
    public private(set) var header: AgeHeader?

    /// True once the header parsed, a file key was unwrapped, the header MAC verified and the
    /// payload nonce was read: from here on, failures are payload failures.
    public var hasAuthenticatedHeader: Bool { payloadKey != nil }

    public init(identities: [AgeIdentity], armor: ArmorHandling = .detect, chunksPerBatch: Int = Age.defaultChunksPerBatch) {
        self.init(armor: armor, chunksPerBatch: chunksPerBatch) { _ in identities }
    }

    public init(
        armor: ArmorHandling = .detect, chunksPerBatch: Int = Age.defaultChunksPerBatch, identities: @escaping IdentityProvider
    ) {
        armorHandling = armor
        self.armor = armor == .armored ? AgeArmorDecoder() : nil
        identityProvider = identities
        self.chunksPerBatch = max(1, chunksPerBatch)
    }

    /// Takes more of the file. Verified plaintext is passed to `plaintext`, in order, before any
    /// error is thrown.
    public mutating func update<Bytes: Collection>(
        _ input: Bytes, plaintext: (ArraySlice<UInt8>) throws -> Void
    ) throws where Bytes.Element == UInt8 {
        try checkUsable()
        do {
            var binary: [UInt8] = []
            var armorError: (any Error)?
            if armorHandling == .detect {
                detectionBuffer += input
                guard try detect(atEnd: false) else { return }
                let pending = detectionBuffer
                detectionBuffer = []
                armorError = unarmor(pending, into: &binary)
            } else {
                armorError = unarmor(input, into: &binary)
            }
            try consume(binary, atEnd: false, plaintext: plaintext)
            if let armorError { throw armorError }
        } catch {
            failure = error
            throw error
        }
    }

    /// Ends the input: verifies the final chunk and releases the rest of the plaintext.
    public mutating func finish(plaintext: (ArraySlice<UInt8>) throws -> Void) throws {
        try checkUsable()
        do {
            var binary: [UInt8] = []
            var armorError: (any Error)?
            if armorHandling == .detect {
                _ = try detect(atEnd: true)
                let pending = detectionBuffer
                detectionBuffer = []
                armorError = unarmor(pending, into: &binary)
            }
            if armorError == nil, armor != nil {
                do { try armor!.finish(into: &binary) } catch { armorError = error }
            }
            // What the armor yielded before an error is processed first, as a streaming reader would.
            try consume(binary, atEnd: armorError == nil, plaintext: plaintext)
            if let armorError { throw armorError }
            finished = true
        } catch {
            failure = error
            throw error
        }
    }

    private func checkUsable() throws {
        if let failure { throw failure }
        guard !finished else { throw ArborError(.invalidArgument, "the decryptor is already finished") }
    }

    /// Decides armored or binary from the first non-whitespace byte; false while undecided.
    private mutating func detect(atEnd: Bool) throws -> Bool {
        guard armorHandling == .detect else { return true }
        if let first = detectionBuffer.first(where: { !AgeArmor.isWhitespace($0) }) {
            armorHandling = first == UInt8(ascii: "-") ? .armored : .binary
        } else if atEnd || detectionBuffer.count > AgeArmor.maximumWhitespace {
            armorHandling = .binary
        } else {
            return false
        }
        if armorHandling == .armored { armor = AgeArmorDecoder() }
        return true
    }

    private mutating func unarmor<Bytes: Collection>(_ input: Bytes, into binary: inout [UInt8]) -> (any Error)?
    where Bytes.Element == UInt8 {
        guard armor != nil else {
            binary += input
            return nil
        }
        do {
            try armor!.decode(input, into: &binary)
            return nil
        } catch {
            return error
        }
    }

    private mutating func consume(_ bytes: [UInt8], atEnd: Bool, plaintext: (ArraySlice<UInt8>) throws -> Void) throws {
        buffer += bytes
        if payloadKey == nil {
            guard try openHeader(atEnd: atEnd) else { return }
        }
        if sawFinalChunk, !buffer.isEmpty {
            throw ArborError.agePayload("data follows the final chunk (the file was extended)")
        }
        let batchBytes = chunksPerBatch * AgeChunkCipher.ciphertextSize
        var start = 0
        // Full chunks are opened as soon as a whole batch is here; the rest waits for the end.
        while buffer.count - start >= batchBytes {
            defer { start += batchBytes }
            try openChunks(buffer[start..<start + batchBytes], endsWithShortPiece: false, plaintext: plaintext)
        }
        if atEnd {
            // Whole chunks first (a full chunk may be the final one), then the short tail.
            let fullEnd = start + (buffer.count - start) / AgeChunkCipher.ciphertextSize * AgeChunkCipher.ciphertextSize
            if fullEnd > start { try openChunks(buffer[start..<fullEnd], endsWithShortPiece: false, plaintext: plaintext) }
            let tail = buffer[fullEnd...]
            start = buffer.count
            if !tail.isEmpty {
                if sawFinalChunk { throw ArborError.agePayload("data follows the final chunk (the file was extended)") }
                guard tail.count >= AgeChunkCipher.tagSize else {
                    throw ArborError(.truncated, "the age file ends inside a chunk's authentication tag: it was truncated")
                }
                if tail.count == AgeChunkCipher.tagSize, counter > 0 {
                    throw ArborError.agePayload("the final chunk is empty, which age allows only for an empty file")
                }
                try openChunks(tail, endsWithShortPiece: true, plaintext: plaintext)
            }
            guard sawFinalChunk else {
                throw ArborError(
                    .truncated,
                    counter == 0
                        ? "the age file has no payload: it was truncated after its header"
                        : "the age file ends after chunk \(counter - 1) without its final chunk: it was truncated")
            }
        }
        buffer.removeFirst(start)
    }

    /// Parses the header, unwraps the file key, checks the MAC and reads the nonce.
    private mutating func openHeader(atEnd: Bool) throws -> Bool {
        if header == nil {
            guard let parsed = try parser.parse(buffer, atEnd: atEnd) else { return false }
            header = parsed
        }
        guard let header else { return false }
        guard buffer.count >= header.encoded.count + AgeChunkCipher.payloadNonceSize else {
            if atEnd { throw ArborError.ageHeader("the file ends before the payload nonce") }
            return false
        }
        let fileKey = try Self.unwrapFileKey(header, identities: try identityProvider(header))
        guard header.verifyMAC(fileKey: fileKey) else {
            throw ArborError(.authenticationFailed, "the age header MAC does not verify: the header was modified")
        }
        let nonceStart = header.encoded.count
        let nonce = Array(buffer[nonceStart..<nonceStart + AgeChunkCipher.payloadNonceSize])
        payloadKey = AgeChunkCipher.payloadKey(fileKey: fileKey, nonce: nonce)
        buffer.removeFirst(nonceStart + AgeChunkCipher.payloadNonceSize)
        return true
    }

    static func unwrapFileKey(_ header: AgeHeader, identities: [AgeIdentity]) throws -> SymmetricKey {
        let types = header.stanzas.map(\.type)
        if types.contains(ScryptStanza.type), types.count > 1 {
            throw ArborError.ageHeader("an scrypt stanza must be the only stanza of the header")
        }
        guard !identities.isEmpty else { throw ArborError(.invalidArgument, "no identity to decrypt with") }
        var wrongPassphrase = false
        for identity in identities {
            switch try identity.unwrap(header.stanzas) {
            case .fileKey(let fileKey): return fileKey
            case .wrongPassphrase: wrongPassphrase = true
            case .notAddressed: continue
            }
        }
        if wrongPassphrase { throw ArborError(.wrongPassphrase, "the passphrase does not open this file") }
        let list = Array(Set(types)).sorted().joined(separator: ", ")
        if types.contains(ScryptStanza.type) {
            throw ArborError(.noMatchingKey, "this file is encrypted with a passphrase; decrypt it with the passphrase, not an identity")
        }
        throw ArborError(.noMatchingKey, "no identity given matches a recipient of this file (its stanzas: \(list))")
    }

    private mutating func openChunks(
        _ ciphertext: ArraySlice<UInt8>, endsWithShortPiece: Bool, plaintext release: (ArraySlice<UInt8>) throws -> Void
    ) throws {
        guard let payloadKey else { return }
        let batch = AgeChunkCipher.open(ciphertext, firstCounter: counter, key: payloadKey)
        var released = 0
        var failure: ArborError?
        for (index, status) in batch.statuses.enumerated() {
            if sawFinalChunk {
                failure = ArborError.agePayload("data follows the final chunk (the file was extended)")
                break
            }
            guard status != .failed else {
                let isLastPiece = endsWithShortPiece && index == batch.statuses.count - 1
                failure = ArborError(
                    .authenticationFailed,
                    isLastPiece
                        ? "chunk \(counter) of the age payload does not authenticate: the file was modified, cut short or extended"
                        : "chunk \(counter) of the age payload does not authenticate: the file was modified, or its chunks reordered")
                break
            }
            released = index + 1
            counter += 1
            if status == .final { sawFinalChunk = true }
        }
        // Release the verified run in order, then report the first failure.
        var output: [UInt8] = []
        output.reserveCapacity(released * AgeChunkCipher.plaintextSize)
        for index in 0..<released {
            let start = index * AgeChunkCipher.plaintextSize
            output += batch.plaintext[start..<start + batch.lengths[index]]
        }
        if !output.isEmpty { try release(output[...]) }
        if let failure { throw failure }
    }
}
