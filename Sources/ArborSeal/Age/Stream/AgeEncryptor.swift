import ArborCore
import Crypto

/// Encrypts a stream to age v1 in constant memory: give it plaintext in pieces of any size, write
/// out what each call returns, then what `finish()` returns.
///
/// Plaintext is buffered until a batch of 64 KiB chunks is ready (`chunksPerBatch`, by default
/// four per core), and the batch is sealed on all cores. Memory stays near two batches whatever
/// the input size.
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

    /// The header written, with the recipient stanzas; available before any output is taken.
    public let header: AgeHeader

    /// - Parameters:
    ///   - recipients: at least one. A passphrase (scrypt) recipient must be the only one, and
    ///     post-quantum recipients are not mixed with classical ones (either would silently
    ///     weaken the file to its weakest recipient).
    ///   - armored: wrap the output in age's ASCII armor.
    ///   - chunksPerBatch: 64 KiB chunks sealed concurrently; 1 seals each chunk as soon as the
    ///     next byte arrives.
    public init(recipients: [AgeRecipient], armored: Bool = false, chunksPerBatch: Int = Age.defaultChunksPerBatch) throws {
        guard !recipients.isEmpty else { throw ArborError(.invalidArgument, "name at least one recipient") }
        if recipients.contains(where: { $0.stanzaType == ScryptStanza.type }), recipients.count > 1 {
            throw ArborError(
                .invalidArgument, "a passphrase cannot be combined with other recipients (age requires the scrypt stanza alone)")
        }
        if recipients.contains(where: \.isPostQuantum), recipients.contains(where: { !$0.isPostQuantum }) {
            throw ArborError(
                .invalidArgument,
                "post-quantum (age1pq1…) and classical recipients cannot be mixed: the classical ones would make the file open to a quantum attacker"
            )
        }
        guard chunksPerBatch >= 1 else { throw ArborError(.invalidArgument, "chunksPerBatch must be at least 1") }
        let fileKey = SymmetricKey(data: AgeKeyWrap.randomBytes(AgeKeyWrap.fileKeySize))
        header = AgeHeader.seal(stanzas: try recipients.map { try $0.wrap(fileKey) }, fileKey: fileKey)
        let nonce = AgeKeyWrap.randomBytes(AgeChunkCipher.payloadNonceSize)
        payloadKey = AgeChunkCipher.payloadKey(fileKey: fileKey, nonce: nonce)
        pendingHeader = header.encoded + nonce
        self.chunksPerBatch = chunksPerBatch
        armor = armored ? AgeArmorEncoder() : nil
    }

    /// Takes more plaintext; returns the output that is ready (possibly empty).
    public mutating func update<Bytes: Collection>(_ plaintext: Bytes) throws -> [UInt8] where Bytes.Element == UInt8 {
        guard !finished else { throw ArborError(.invalidArgument, "the encryptor is already finished") }
        buffer += plaintext
        var output = takeHeader()
        let batchBytes = chunksPerBatch * AgeChunkCipher.plaintextSize
        // A chunk is sealed as non-final only once a byte after it has arrived.
        var start = 0
        while buffer.count - start > batchBytes {
            output += try AgeChunkCipher.seal(
                buffer[start..<start + batchBytes], firstCounter: counter, endsStream: false, key: payloadKey)
            counter += UInt64(chunksPerBatch)
            start += batchBytes
        }
        buffer.removeFirst(start)
        return armor == nil ? output : armor!.encode(output)
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
