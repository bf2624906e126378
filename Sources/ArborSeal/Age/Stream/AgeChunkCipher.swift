import ArborCore
import Crypto
import Dispatch
import Foundation

/// The STREAM payload of age v1: 64 KiB chunks, each sealed with ChaCha20-Poly1305 under the
/// payload key with the nonce `counter (11 bytes, big-endian) ‖ final flag (1 byte)`.
///
/// Chunks are independent given their counters, so a batch of them is sealed or opened on all
/// cores at once (`DispatchQueue.concurrentPerform`); results land in place, so order is kept.
enum AgeChunkCipher {
    static let plaintextSize = 64 << 10
    static let tagSize = 16
    static let ciphertextSize = plaintextSize + tagSize
    static let payloadNonceSize = 16

    /// payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload").
    static func payloadKey(fileKey: SymmetricKey, nonce: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), outputByteCount: 32)
    }

    static func nonce(counter: UInt64, final: Bool) throws -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { bytes[10 - index] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * index)) }
        bytes[11] = final ? 1 : 0
        return try ChaChaPoly.Nonce(data: bytes)
    }

    /// Seals `plaintext` as consecutive chunks from `firstCounter`. All chunks are full except,
    /// when `endsStream`, the last one, which carries the final flag (an empty plaintext gives one
    /// empty final chunk). Returns the concatenated ciphertext.
    static func seal(_ plaintext: ArraySlice<UInt8>, firstCounter: UInt64, endsStream: Bool, key: SymmetricKey) throws -> [UInt8] {
        let count = endsStream ? max(1, (plaintext.count + plaintextSize - 1) / plaintextSize) : plaintext.count / plaintextSize
        guard endsStream || plaintext.count % plaintextSize == 0 else {
            throw ArborError(.invalidArgument, "internal error: a non-final chunk must be full")
        }
        var output = [UInt8](repeating: 0, count: plaintext.count + count * tagSize)
        var failures = [UInt8](repeating: 0, count: count)
        let total = plaintext.count
        plaintext.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                failures.withUnsafeMutableBufferPointer { failed in
                    let source = SharedPointer(input.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) })
                    let destination = SharedPointer(out.baseAddress)
                    let failedFlags = SharedPointer(failed.baseAddress.map { UnsafeMutableRawPointer($0) })
                    forEachConcurrently(count) { index in
                        let start = index * plaintextSize
                        let length = min(plaintextSize, total - start)
                        let chunk = UnsafeRawBufferPointer(start: source.pointer.map { $0 + start }, count: length)
                        let isFinal = endsStream && index == count - 1
                        do {
                            let box = try ChaChaPoly.seal(
                                chunk, using: key, nonce: try nonce(counter: firstCounter + UInt64(index), final: isFinal))
                            let target = destination.pointer! + index * ciphertextSize
                            box.ciphertext.copyBytes(to: UnsafeMutableRawBufferPointer(start: target, count: length))
                            box.tag.copyBytes(to: UnsafeMutableRawBufferPointer(start: target + length, count: tagSize))
                        } catch {
                            failedFlags.pointer!.storeBytes(of: 1, toByteOffset: index, as: UInt8.self)
                        }
                    }
                }
            }
        }
        guard !failures.contains(1) else { throw ArborError(.invalidArgument, "ChaCha20-Poly1305 refused to seal a chunk") }
        return output
    }

    enum ChunkStatus: UInt8 {
        case failed = 0
        case nonFinal = 1
        case final = 2
    }

    struct OpenedBatch {
        /// Chunk `i`'s plaintext starts at `i * plaintextSize`.
        var plaintext: [UInt8]
        var lengths: [Int]
        var statuses: [ChunkStatus]
    }

    /// Opens consecutive chunks from `firstCounter`: every piece of `ciphertextSize` bytes, then
    /// (if `ciphertext` does not divide evenly) a short last piece, which can only be final. A
    /// full chunk is tried as non-final, then as a full final chunk, as age does. Nothing is
    /// returned as plaintext unless its tag verified.
    static func open(_ ciphertext: ArraySlice<UInt8>, firstCounter: UInt64, key: SymmetricKey) -> OpenedBatch {
        let count = (ciphertext.count + ciphertextSize - 1) / ciphertextSize
        let total = ciphertext.count
        var plaintext = [UInt8](repeating: 0, count: count * plaintextSize)
        var lengths = [Int](repeating: 0, count: count)
        var statuses = [UInt8](repeating: 0, count: count)
        ciphertext.withUnsafeBytes { input in
            plaintext.withUnsafeMutableBytes { out in
                lengths.withUnsafeMutableBytes { lengthsOut in
                    statuses.withUnsafeMutableBytes { statusOut in
                        let source = SharedPointer(input.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) })
                        let destination = SharedPointer(out.baseAddress)
                        let lengthPointer = SharedPointer(lengthsOut.baseAddress)
                        let statusPointer = SharedPointer(statusOut.baseAddress)
                        forEachConcurrently(count) { index in
                            let start = index * ciphertextSize
                            let length = min(ciphertextSize, total - start)
                            guard length >= tagSize, let base = source.pointer else { return }
                            let counter = firstCounter + UInt64(index)
                            let body = UnsafeRawBufferPointer(start: base + start, count: length - tagSize)
                            let tag = UnsafeRawBufferPointer(start: base + start + length - tagSize, count: tagSize)
                            let attempts: [ChunkStatus] = length == ciphertextSize ? [.nonFinal, .final] : [.final]
                            for attempt in attempts {
                                guard
                                    let sealed = try? ChaChaPoly.SealedBox(
                                        nonce: try nonce(counter: counter, final: attempt == .final), ciphertext: body, tag: tag),
                                    let opened = try? ChaChaPoly.open(sealed, using: key)
                                else { continue }
                                let target = destination.pointer! + index * plaintextSize
                                opened.copyBytes(to: UnsafeMutableRawBufferPointer(start: target, count: opened.count))
                                lengthPointer.pointer!.storeBytes(
                                    of: opened.count, toByteOffset: index * MemoryLayout<Int>.stride, as: Int.self)
                                statusPointer.pointer!.storeBytes(of: attempt.rawValue, toByteOffset: index, as: UInt8.self)
                                return
                            }
                        }
                    }
                }
            }
        }
        return OpenedBatch(plaintext: plaintext, lengths: lengths, statuses: statuses.map { ChunkStatus(rawValue: $0) ?? .failed })
    }

    /// Runs `body` for `0..<count` on all cores; inline for a single chunk.
    private static func forEachConcurrently(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count <= 1 {
            for index in 0..<count { body(index) }
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }
}

/// A buffer pointer shared with the workers of one `concurrentPerform` call. Sound because each
/// worker reads shared input and writes only its own disjoint range, and `concurrentPerform`
/// returns only after every worker has finished, while the buffer is still alive.
private struct SharedPointer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer?
    init(_ pointer: UnsafeMutableRawPointer?) { self.pointer = pointer }
}
