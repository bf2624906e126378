import ArborCore
import Crypto
import Foundation

/// The STREAM payload of age v1: 64 KiB chunks, each sealed with ChaCha20-Poly1305 under the
/// payload key with the nonce `counter (11 bytes, big-endian) ‖ final flag (1 byte)`.
///
/// Chunks are independent given their counters, so a batch of them is sealed or opened on all
/// cores at once (`ChunkWorkerPool`); results land in place, so order is kept.
enum AgeChunkCipher {
    static let plaintextSize = 64 << 10
    static let tagSize = 16
    static let ciphertextSize = plaintextSize + tagSize
    static let payloadNonceSize = 16

    /// payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload").
    static func payloadKey(fileKey: SymmetricKey, nonce: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), outputByteCount: 32)
    }

    static let nonceSize = 12

    static func nonce(counter: UInt64, final: Bool) throws -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: nonceSize)
        bytes.withUnsafeMutableBytes { writeNonce(counter: counter, final: final, into: $0.baseAddress!) }
        return try ChaChaPoly.Nonce(data: bytes)
    }

    /// Writes the 12-byte chunk nonce at `pointer`.
    static func writeNonce(counter: UInt64, final: Bool, into pointer: UnsafeMutableRawPointer) {
        for index in 0..<3 { pointer.storeBytes(of: 0, toByteOffset: index, as: UInt8.self) }
        for index in 0..<8 {
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: counter >> UInt64(8 * index)), toByteOffset: 10 - index, as: UInt8.self)
        }
        pointer.storeBytes(of: final ? 1 : 0, toByteOffset: 11, as: UInt8.self)
    }

    /// Seals `plaintext` as consecutive chunks from `firstCounter`. All chunks are full except,
    /// when `endsStream`, the last one, which carries the final flag (an empty plaintext gives one
    /// empty final chunk). Returns the concatenated ciphertext.
    static func seal(_ plaintext: ArraySlice<UInt8>, firstCounter: UInt64, endsStream: Bool, key: SymmetricKey) throws -> [UInt8] {
        let count = endsStream ? max(1, (plaintext.count + plaintextSize - 1) / plaintextSize) : plaintext.count / plaintextSize
        guard endsStream || plaintext.count % plaintextSize == 0 else {
            throw ArborError(.invalidArgument, "internal error: a non-final chunk must be full")
        }
        return try plaintext.withUnsafeBytes { input in
            try [UInt8](unsafeUninitializedCapacity: plaintext.count + count * tagSize) { output, initialized in
                let chunks = (0..<count).map { index in
                    UnsafeRawBufferPointer(rebasing: input[index * plaintextSize..<min(input.count, (index + 1) * plaintextSize)])
                }
                try seal(chunks, firstCounter: firstCounter, lastIsFinal: endsStream, key: key, into: output.baseAddress!)
                initialized = output.count
            }
        }
    }

    /// Seals `chunks` on all cores, chunk `i` with counter `firstCounter + i`, and writes chunk
    /// `i`'s ciphertext and tag at `destination + i * ciphertextSize`. Every chunk is full except
    /// a last one that is final (`lastIsFinal`).
    static func seal(
        _ chunks: [UnsafeRawBufferPointer], firstCounter: UInt64, lastIsFinal: Bool, key: SymmetricKey,
        into destination: UnsafeMutableRawPointer
    ) throws {
        guard chunks.dropLast(lastIsFinal ? 1 : 0).allSatisfy({ $0.count == plaintextSize }),
            chunks.allSatisfy({ $0.count <= plaintextSize })
        else { throw ArborError(.invalidArgument, "internal error: a non-final chunk must be full") }
        let sources = SharedChunks(chunks)
        let target = SharedPointer(destination)
        let failures = FailureFlag()
        forEachConcurrently(chunks.count) { index in
            let chunk = sources.chunks[index]
            let isFinal = lastIsFinal && index == sources.chunks.count - 1
            do {
                let box = try ChaChaPoly.seal(chunk, using: key, nonce: try nonce(counter: firstCounter + UInt64(index), final: isFinal))
                // combined is nonce ‖ ciphertext ‖ tag: one copy of the last two.
                box.combined.withUnsafeBytes { combined in
                    (target.pointer! + index * ciphertextSize).copyMemory(
                        from: combined.baseAddress! + nonceSize, byteCount: chunk.count + tagSize)
                }
            } catch {
                failures.set()
            }
        }
        guard !failures.isSet else { throw ArborError(.invalidArgument, "ChaCha20-Poly1305 refused to seal a chunk") }
    }

    enum ChunkStatus: UInt8 {
        case failed = 0
        case nonFinal = 1
        case final = 2
    }

    /// Opens `chunks` on all cores, chunk `i` with counter `firstCounter + i`. A full-size chunk is
    /// tried as non-final, then as final; a shorter one only as final. Returns, per chunk, how it
    /// opened and its plaintext, which the caller releases as is (no copy) after checking the order.
    static func open(_ chunks: [UnsafeRawBufferPointer], firstCounter: UInt64, key: SymmetricKey) -> [(ChunkStatus, Data)] {
        let results = UnsafeMutableBufferPointer<(ChunkStatus, Data)>.allocate(capacity: chunks.count)
        results.initialize(repeating: (.failed, Data()))
        defer {
            _ = results.deinitialize()
            results.deallocate()
        }
        let sources = SharedChunks(chunks)
        let target = SharedResults(results)
        forEachConcurrently(chunks.count) { index in
            let chunk = sources.chunks[index]
            guard chunk.count >= tagSize, chunk.count <= ciphertextSize, let base = chunk.baseAddress else { return }
            let attempts: [ChunkStatus] = chunk.count == ciphertextSize ? [.nonFinal, .final] : [.final]
            // The box is built from nonce ‖ ciphertext ‖ tag in one buffer: SealedBox(nonce:ciphertext:tag:)
            // copies a buffer pointer byte by byte, several times slower than this one copy.
            withUnsafeTemporaryAllocation(byteCount: nonceSize + chunk.count, alignment: 16) { combined in
                writeNonce(counter: firstCounter + UInt64(index), final: false, into: combined.baseAddress!)
                (combined.baseAddress! + nonceSize).copyMemory(from: base, byteCount: chunk.count)
                for attempt in attempts {
                    combined[nonceSize - 1] = attempt == .final ? 1 : 0
                    guard let sealed = try? ChaChaPoly.SealedBox(combined: UnsafeRawBufferPointer(combined)),
                        let opened = try? ChaChaPoly.open(sealed, using: key)
                    else { continue }
                    // Each worker writes only its own slot.
                    target.results[index] = (attempt, opened)
                    return
                }
            }
        }
        return Array(results)
    }

    /// Runs `body` for `0..<count` on all cores.
    private static func forEachConcurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        ChunkWorkerPool.shared.forEach(count, body)
    }
}

/// Chunk buffers shared with the workers of one batch: read only, and alive
/// until the batch returns.
private struct SharedChunks: @unchecked Sendable {
    let chunks: [UnsafeRawBufferPointer]
    init(_ chunks: [UnsafeRawBufferPointer]) { self.chunks = chunks }
}

/// Set by any worker that failed; read after the batch returned.
private final class FailureFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var failed = false
    func set() { lock.withLock { failed = true } }
    var isSet: Bool { lock.withLock { failed } }
}

/// The result slots shared with the workers of one batch: each worker writes
/// only its own index, and the slots are read after the batch returned.
private struct SharedResults: @unchecked Sendable {
    let results: UnsafeMutableBufferPointer<(AgeChunkCipher.ChunkStatus, Data)>
    init(_ results: UnsafeMutableBufferPointer<(AgeChunkCipher.ChunkStatus, Data)>) { self.results = results }
}

/// A buffer pointer shared with the workers of one batch. Sound because each
/// worker reads shared input and writes only its own disjoint range, and the batch
/// returns only after every worker has finished, while the buffer is still alive.
private struct SharedPointer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer?
    init(_ pointer: UnsafeMutableRawPointer?) { self.pointer = pointer }
}
