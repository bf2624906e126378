import ArborCore
import Crypto
import Foundation

/// Encrypts a stream to age v1 in constant memory: give it plaintext in pieces of any size, write
/// out what each call returns, then what `finish()` returns.
///
/// Each call seals every 64 KiB chunk of its input that has a byte after it, on all cores
/// (`chunksPerBatch` chunks at a time, by default sixteen per core), straight from the caller's
/// bytes into the returned array; at most one chunk is held back for the next call (a chunk
/// can be sealed as non-final only once a byte after it has arrived). Memory stays near the
/// size of one piece of input and its output, whatever the stream's size.
///
///     var encryptor = try AgeEncryptor(recipients: [recipient])
///     output.write(try encryptor.update(piece))   // as often as needed
///     output.write(try encryptor.finish())
public struct AgeEncryptor {
    private let payloadKey: SymmetricKey
    private let chunksPerBatch: Int
    private var armor: AgeArmorEncoder?
    private var pendingHeader: [UInt8]
    private var buffer: [UInt8] = []
    private var counter: UInt64 = 0
    private var finished = false

    /// Chunks sealed or opened concurrently by default: sixteen per core, so that on two cores
    /// a piece of up to 2 MiB is one batch. Each batch ends with a join of the workers (the last
    /// chunks finish on one core), so fewer, larger batches are faster; a decryptor holds one
    /// batch of plaintext (1 MiB per core) before releasing it.
    public static var defaultChunksPerBatch: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) * 16 }

    /// The header written, with the recipient stanzas; available before any output is taken.
    public let header: AgeHeader

    /// - Parameters:
    ///   - recipients: at least one. A passphrase (scrypt) recipient must be the only one, and
    ///     post-quantum recipients are not mixed with classical ones (either would silently
    ///     weaken the file to its weakest recipient).
    ///   - armored: wrap the output in age's ASCII armor.
    ///   - chunksPerBatch: 64 KiB chunks sealed concurrently at a time; 1 seals them one by one.
    public init(recipients: [AgeRecipient], armored: Bool = false, chunksPerBatch: Int = AgeEncryptor.defaultChunksPerBatch) throws {
        guard !recipients.isEmpty else { throw ArborError(.invalidArgument, "name at least one recipient") }
        if recipients.contains(where: { $0.stanzaType == ScryptStanza.type }), recipients.count > 1 {
            throw ArborError(
                .invalidArgument, "a passphrase cannot be combined with other recipients (age requires the scrypt stanza alone)")
        }
        if recipients.contains(where: \.isPostQuantum), recipients.contains(where: { !$0.isPostQuantum }) {
            throw ArborError(
                .invalidArgument,
                "classical X25519 recipients (age1…) cannot be mixed with post-quantum ones (age1pq1…, a node's key, "
                    + "a mesh keyring or a storage key): the classical ones would make the file open to a quantum attacker"
            )
        }
        guard chunksPerBatch >= 1 else { throw ArborError(.invalidArgument, "chunksPerBatch must be at least 1") }
        let fileKey = SymmetricKey(data: randomBytes(AgeKeyWrap.fileKeySize))
        header = AgeHeader.seal(stanzas: try recipients.map { try $0.wrap(fileKey) }, fileKey: fileKey)
        let nonce = randomBytes(AgeChunkCipher.payloadNonceSize)
        payloadKey = AgeChunkCipher.payloadKey(fileKey: fileKey, nonce: nonce)
        pendingHeader = header.encoded + nonce
        self.chunksPerBatch = chunksPerBatch
        armor = armored ? AgeArmorEncoder() : nil
    }

    /// Takes more plaintext; returns the output that is ready (possibly empty).
    public mutating func update<Bytes: Collection>(_ plaintext: Bytes) throws -> [UInt8] where Bytes.Element == UInt8 {
        guard !finished else { throw ArborError(.invalidArgument, "the encryptor is already finished") }
        let output =
            try plaintext.withContiguousStorageIfAvailable { try seal($0) } ?? Array(plaintext).withUnsafeBufferPointer { try seal($0) }
        return armor == nil ? output : armor!.encode(output)
    }

    /// Seals the chunks that `buffer` and `input` complete, except the last one when nothing
    /// follows it yet; keeps the rest (at most one chunk) in `buffer`.
    private mutating func seal(_ input: UnsafeBufferPointer<UInt8>) throws -> [UInt8] {
        let size = AgeChunkCipher.plaintextSize
        let available = buffer.count + input.count
        let ready = available == 0 ? 0 : (available - 1) / size
        let header = takeHeader()
        guard ready > 0 else {
            buffer.append(contentsOf: input)
            return header
        }
        // Complete the chunk started by earlier calls (buffer.count <= size), then take whole chunks from the input.
        let taken = buffer.isEmpty ? 0 : size - buffer.count
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: input[0..<taken]))
        let head = buffer
        buffer = []
        let fromInput = ready - (head.isEmpty ? 0 : 1)
        let key = payloadKey
        let batch = chunksPerBatch
        let firstCounter = counter
        let output = try head.withUnsafeBytes { headBytes in
            var chunks = head.isEmpty ? [] : [headBytes]
            for index in 0..<fromInput {
                chunks.append(
                    UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[taken + index * size..<taken + (index + 1) * size]))
            }
            return try [UInt8](unsafeUninitializedCapacity: header.count + ready * AgeChunkCipher.ciphertextSize) { out, initialized in
                initialized = 0
                _ = UnsafeMutableBufferPointer(rebasing: out[..<header.count]).initialize(from: header)
                let payload = UnsafeMutableRawPointer(out.baseAddress! + header.count)
                var start = 0
                while start < chunks.count {
                    let end = min(start + batch, chunks.count)
                    try AgeChunkCipher.seal(
                        Array(chunks[start..<end]), firstCounter: firstCounter + UInt64(start), lastIsFinal: false, key: key,
                        into: payload + start * AgeChunkCipher.ciphertextSize)
                    start = end
                }
                initialized = out.count
            }
        }
        counter += UInt64(ready)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: input[(taken + fromInput * size)...]))
        return output
    }

    /// Seals what is left, with the final chunk; returns the rest of the output.
    public mutating func finish() throws -> [UInt8] {
        guard !finished else { throw ArborError(.invalidArgument, "the encryptor is already finished") }
        finished = true
        var output = takeHeader()
        output += try AgeChunkCipher.seal(buffer[...], firstCounter: counter, endsStream: true, key: payloadKey)
        buffer = []
        guard armor != nil else { return output }
        return armor!.encode(output) + armor!.finish()
    }

    private mutating func takeHeader() -> [UInt8] {
        defer { pendingHeader = [] }
        return pendingHeader
    }
}
