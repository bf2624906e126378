import ArborCore
import Crypto
import Foundation

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

    public init(identities: [AgeIdentity], armor: ArmorHandling = .detect, chunksPerBatch: Int = AgeEncryptor.defaultChunksPerBatch) {
        self.init(armor: armor, chunksPerBatch: chunksPerBatch) { _ in identities }
    }

    public init(
        armor: ArmorHandling = .detect, chunksPerBatch: Int = AgeEncryptor.defaultChunksPerBatch, identities: @escaping IdentityProvider
    ) {
        armorHandling = armor
        self.armor = armor == .armored ? AgeArmorDecoder() : nil
        identityProvider = identities
        self.chunksPerBatch = max(1, chunksPerBatch)
    }

    /// Takes more of the file. Verified plaintext is passed to `plaintext`, in order, before any
    /// error is thrown.
    public mutating func update<Bytes: Collection>(
        _ input: Bytes, plaintext: (Data) throws -> Void
    ) throws where Bytes.Element == UInt8 {
        try checkUsable()
        do {
            if armorHandling == .detect {
                detectionBuffer += input
                guard try detect(atEnd: false) else { return }
                let pending = detectionBuffer
                detectionBuffer = []
                try take(pending, plaintext: plaintext)
            } else {
                try take(input, plaintext: plaintext)
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Unarmors `input` if the file is armored, then consumes it; binary input is read in place.
    private mutating func take<Bytes: Collection>(_ input: Bytes, plaintext: (Data) throws -> Void) throws
    where Bytes.Element == UInt8 {
        guard armor != nil else {
            if try input.withContiguousStorageIfAvailable({ try consume($0, atEnd: false, plaintext: plaintext) }) == nil {
                try Array(input).withUnsafeBufferPointer { try consume($0, atEnd: false, plaintext: plaintext) }
            }
            return
        }
        var binary: [UInt8] = []
        let armorError = unarmor(input, into: &binary)
        // What the armor yielded before an error is processed first, as a streaming reader would.
        try binary.withUnsafeBufferPointer { try consume($0, atEnd: false, plaintext: plaintext) }
        if let armorError { throw armorError }
    }

    /// Ends the input: verifies the final chunk and releases the rest of the plaintext.
    public mutating func finish(plaintext: (Data) throws -> Void) throws {
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
            try binary.withUnsafeBufferPointer { try consume($0, atEnd: armorError == nil, plaintext: plaintext) }
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

    private mutating func consume(
        _ input: UnsafeBufferPointer<UInt8>, atEnd: Bool, plaintext: (Data) throws -> Void
    ) throws {
        guard payloadKey == nil else { return try consumePayload(input, atEnd: atEnd, plaintext: plaintext) }
        buffer.append(contentsOf: input)
        guard try openHeader(atEnd: atEnd) else { return }
        // The payload that arrived with the header.
        let payload = buffer
        buffer = []
        try payload.withUnsafeBufferPointer { try consumePayload($0, atEnd: atEnd, plaintext: plaintext) }
    }

    /// Opens every whole chunk as soon as it is here, in place in `input` where it can (a full
    /// chunk may still be the final one: both are tried); keeps the rest, less than a chunk, in
    /// `buffer` until more data or the end arrives.
    private mutating func consumePayload(
        _ input: UnsafeBufferPointer<UInt8>, atEnd: Bool, plaintext release: (Data) throws -> Void
    ) throws {
        let size = AgeChunkCipher.ciphertextSize
        if sawFinalChunk, !buffer.isEmpty || !input.isEmpty {
            throw ArborError.agePayload("data follows the final chunk (the file was extended)")
        }
        // Complete the chunk started by earlier calls (buffer.count < size), then take whole chunks from the input.
        let taken = buffer.isEmpty ? 0 : min(size - buffer.count, input.count)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: input[0..<taken]))
        let fromInput = (input.count - taken) / size
        var head: [UInt8] = []
        if buffer.count == size { swap(&head, &buffer) }
        if !head.isEmpty || fromInput > 0 {
            try head.withUnsafeBytes { headBytes in
                var chunks = head.isEmpty ? [] : [headBytes]
                for index in 0..<fromInput {
                    chunks.append(
                        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[taken + index * size..<taken + (index + 1) * size]))
                }
                try openChunks(chunks, endsWithShortPiece: false, plaintext: release)
            }
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: input[(taken + fromInput * size)...]))
        guard atEnd else { return }
        // Whole chunks are all open (a full chunk may have been the final one); what is left is a short last piece.
        let tail = buffer
        buffer = []
        if !tail.isEmpty {
            if sawFinalChunk { throw ArborError.agePayload("data follows the final chunk (the file was extended)") }
            guard tail.count >= AgeChunkCipher.tagSize else {
                throw ArborError(.truncated, "the age file ends inside a chunk's authentication tag: it was truncated")
            }
            if tail.count == AgeChunkCipher.tagSize, counter > 0 {
                throw ArborError.agePayload("the final chunk is empty, which age allows only for an empty file")
            }
            try tail.withUnsafeBytes { try openChunks([$0], endsWithShortPiece: true, plaintext: release) }
        }
        guard sawFinalChunk else {
            throw ArborError(
                .truncated,
                counter == 0
                    ? "the age file has no payload: it was truncated after its header"
                    : "the age file ends after chunk \(counter - 1) without its final chunk: it was truncated")
        }
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

    /// Opens `chunks` in order, `chunksPerBatch` at a time on all cores, and releases each
    /// verified chunk's plaintext in order (as `open` returned it, no copy) before reporting the
    /// first failure.
    private mutating func openChunks(
        _ chunks: [UnsafeRawBufferPointer], endsWithShortPiece: Bool, plaintext release: (Data) throws -> Void
    ) throws {
        guard let payloadKey else { return }
        var start = 0
        while start < chunks.count {
            let group = Array(chunks[start..<min(start + chunksPerBatch, chunks.count)])
            let opened = AgeChunkCipher.open(group, firstCounter: counter, key: payloadKey)
            var failure: ArborError?
            var verified = 0
            for (index, (status, _)) in opened.enumerated() {
                if sawFinalChunk {
                    failure = ArborError.agePayload("data follows the final chunk (the file was extended)")
                    break
                }
                guard status != .failed else {
                    let isLastPiece = endsWithShortPiece && start + index == chunks.count - 1
                    failure = ArborError(
                        .authenticationFailed,
                        isLastPiece
                            ? "chunk \(counter) of the age payload does not authenticate: the file was modified, cut short or extended"
                            : "chunk \(counter) of the age payload does not authenticate: the file was modified, or its chunks reordered")
                    break
                }
                verified += 1
                counter += 1
                if status == .final { sawFinalChunk = true }
            }
            // Release the verified run in order, then report the first failure.
            for (_, plaintext) in opened.prefix(verified) where !plaintext.isEmpty {
                try release(plaintext)
            }
            if let failure { throw failure }
            start += group.count
        }
    }
}
