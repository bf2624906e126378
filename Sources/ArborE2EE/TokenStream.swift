import ArborCore
import Crypto

/// A token stream's key (docs/e2ee.md §14): 32 random bytes, the plaintext of the stream's opening
/// message, from which the chunk key is derived.
public struct StreamKey: Sendable, CustomStringConvertible {
    public static let size = 32
    let secret: SecretBytes

    public static func random() -> StreamKey {
        var bytes = randomBytes(size)
        return StreamKey(secret: SecretBytes(consuming: &bytes))
    }

    init(secret: SecretBytes) { self.secret = secret }

    /// The key from a stream message's opened plaintext; `malformed input` when it is not 32 bytes.
    public init(opened plaintext: [UInt8]) throws {
        guard plaintext.count == Self.size else { throw ArborError(.malformedInput, "a stream message carries a 32-byte key") }
        secret = SecretBytes(copying: plaintext)
    }

    /// The plaintext of the opening message. The caller seals it at once and wipes it.
    public var plaintext: [UInt8] { secret.withUnsafeBytes { Array($0) } }

    public var description: String { "StreamKey(redacted)" }
}

/// What the writer and the reader of one stream share: the chunk key, nonces and associated data.
struct StreamChunkCipher {
    static let keyLabel = "arbor/v1/e2ee/stream-key"
    static let chunkLabel = "arbor/v1/e2ee/chunk"
    static let sealLabel = "arbor/v1/e2ee/stream-end"
    static let maximumPiece = 65_536
    static let tagSize = 16

    let header: MessageHeader
    let key: SymmetricKey
    let associatedData: [UInt8]

    init(header: MessageHeader, streamKey: StreamKey) {
        self.header = header
        let context = header.conversation.bytes + header.epoch.bigEndianBytes + header.id.bytes
        key = streamKey.secret.withUnsafeBytes {
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: $0), salt: [UInt8](), info: Array(Self.keyLabel.utf8) + [0] + context,
                outputByteCount: 32)
        }
        associatedData = Array(Self.chunkLabel.utf8) + [0] + context
    }

    /// `index` as 11 bytes big-endian, then the final flag.
    static func nonce(index: UInt64, isFinal: Bool) throws -> AES.GCM.Nonce {
        try AES.GCM.Nonce(data: [0, 0, 0] + index.bigEndianBytes + [isFinal ? 1 : 0])
    }

    /// What the seal signs: the stream message's header, the chunk count and a hash of every chunk
    /// with its length.
    static func sealMessage(header: MessageHeader, chunkCount: UInt64, transcript: SHA256Digest) -> [UInt8] {
        Array(sealLabel.utf8) + [0] + header.encoded + chunkCount.bigEndianBytes + Array(transcript)
    }
}

/// Checking a seal needs no key (docs/e2ee.md §14): the node checks it before storing it, with the
/// stream message's header, the stored chunks and the sender's public keys.
public enum StreamSeal {
    public static func isValid(_ seal: [UInt8], message: SealedMessage, chunks: [[UInt8]], senderKeys: IdentityPublicKeys) -> Bool {
        var transcript = SHA256()
        for chunk in chunks { transcript.update(data: UInt32(chunk.count).bigEndianBytes + chunk) }
        let signed = StreamChunkCipher.sealMessage(
            header: message.header, chunkCount: UInt64(chunks.count), transcript: transcript.finalize())
        return HybridSignature.isValid(seal, for: signed, by: senderKeys)
    }
}

/// The sender's side of a token stream: each piece sealed as it is generated, then the seal.
public struct StreamWriter: Sendable {
    private let cipher: StreamChunkCipher
    private var transcript = SHA256()
    public private(set) var chunkCount: UInt64 = 0
    public private(set) var isFinished = false

    /// `message` is the stream's opening message (kind stream), sealed with `streamKey` as its plaintext.
    public init(message: SealedMessage, streamKey: StreamKey) throws {
        guard message.header.kind == .stream else { throw ArborError(.invalidArgument, "a stream opens with a message of kind stream") }
        cipher = StreamChunkCipher(header: message.header, streamKey: streamKey)
    }

    /// The next chunk: `piece` (0 … 65,536 bytes) sealed as number `chunkCount`.
    public mutating func seal(_ piece: [UInt8], isFinal: Bool) throws -> [UInt8] {
        guard !isFinished else { throw ArborError(.invalidArgument, "the stream's final chunk is written already") }
        guard piece.count <= StreamChunkCipher.maximumPiece else {
            throw ArborError(.limitExceeded, "a stream piece is at most \(StreamChunkCipher.maximumPiece) bytes")
        }
        let box = try AES.GCM.seal(
            piece, using: cipher.key, nonce: StreamChunkCipher.nonce(index: chunkCount, isFinal: isFinal),
            authenticating: cipher.associatedData)
        let chunk = Array(box.ciphertext) + Array(box.tag)
        transcript.update(data: UInt32(chunk.count).bigEndianBytes + chunk)
        chunkCount += 1
        isFinished = isFinal
        return chunk
    }

    /// The sender's hybrid signature over the whole stream, once the final chunk is written.
    public func seal(with identity: IdentityKeys) throws -> [UInt8] {
        guard isFinished else { throw ArborError(.invalidArgument, "a stream is sealed after its final chunk") }
        return try HybridSignature.sign(
            StreamChunkCipher.sealMessage(header: cipher.header, chunkCount: chunkCount, transcript: transcript.finalize()), with: identity)
    }
}

/// The reader's side: chunk `i` opens only as the `i`-th, with the final flag it was sent with, so
/// a dropped, repeated, reordered or cut chunk is refused; each piece is returned as soon as it
/// opens, and the seal then ties the stream to its sender.
public struct StreamReader: Sendable {
    private let cipher: StreamChunkCipher
    private var transcript = SHA256()
    public private(set) var chunkCount: UInt64 = 0
    public private(set) var isFinished = false

    /// `message` was read and checked by `ConversationReader`; `opened` is its plaintext.
    public init(message: SealedMessage, opened: [UInt8]) throws {
        guard message.header.kind == .stream else { throw ArborError(.invalidArgument, "message \(message.header.id.hex) is not a stream") }
        cipher = StreamChunkCipher(header: message.header, streamKey: try StreamKey(opened: opened))
    }

    /// Opens the chunk the transport numbered `index`; `replayed` for a chunk already read,
    /// `truncated` for one after a gap or after the final chunk, `authentication failed` when it
    /// does not open as this stream's chunk `index` with that final flag.
    public mutating func open(_ chunk: [UInt8], index: UInt64, isFinal: Bool) throws -> [UInt8] {
        guard !isFinished else { throw ArborError(.malformedInput, "chunk \(index) came after the stream's final chunk") }
        guard index >= chunkCount else { throw ArborError(.replayed, "chunk \(index) of the stream was read already") }
        guard index == chunkCount else { throw ArborError(.truncated, "chunks \(chunkCount) to \(index - 1) of the stream are missing") }
        guard chunk.count >= StreamChunkCipher.tagSize, chunk.count <= StreamChunkCipher.maximumPiece + StreamChunkCipher.tagSize else {
            throw ArborError(.malformedInput, "chunk \(index) is not of a chunk's size")
        }
        let piece: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(
                nonce: StreamChunkCipher.nonce(index: index, isFinal: isFinal), ciphertext: chunk.dropLast(StreamChunkCipher.tagSize),
                tag: chunk.suffix(StreamChunkCipher.tagSize))
            piece = Array(try AES.GCM.open(box, using: cipher.key, authenticating: cipher.associatedData))
        } catch {
            throw ArborError(
                .authenticationFailed,
                "chunk \(index) does not open as chunk \(index)\(isFinal ? ", the final one," : "") of this stream: it was changed, moved or cut"
            )
        }
        transcript.update(data: UInt32(chunk.count).bigEndianBytes + chunk)
        chunkCount += 1
        isFinished = isFinal
        return piece
    }

    /// Checks the sender's seal once the final chunk is read: `truncated` before it,
    /// `authentication failed` when the seal does not verify under the sender's keys.
    public func verifySeal(_ seal: [UInt8], senderKeys: IdentityPublicKeys) throws {
        guard isFinished else { throw ArborError(.truncated, "the stream ended after \(chunkCount) chunks, without its final chunk") }
        let message = StreamChunkCipher.sealMessage(header: cipher.header, chunkCount: chunkCount, transcript: transcript.finalize())
        guard HybridSignature.isValid(seal, for: message, by: senderKeys) else {
            throw ArborError(.authenticationFailed, "the stream's seal does not verify under its sender's identity")
        }
    }
}
