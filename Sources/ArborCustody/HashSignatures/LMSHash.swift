import ArborCore
import Crypto

/// The SHA-256 calls of RFC 8554, written to avoid per-hash allocations since
/// key generation makes about a million of them for an H10/W4 tree.
enum LMSHash {
    static let n = 32

    /// Domain separators of RFC 8554 section 7.1.
    static let publicKeyDomain: UInt16 = 0x8080
    static let messageDomain: UInt16 = 0x8181
    static let leafDomain: UInt16 = 0x8282
    static let interiorDomain: UInt16 = 0x8383
    /// Chain index used for the per-leaf randomizer C, as the RFC's test vectors
    /// were made (Cisco hash-sigs): C = H(I || u32(q) || u16(0xFFFD) || u8(0xff) || SEED).
    static let randomizerIndex: UInt16 = 0xFFFD

    /// Offsets inside the 55-byte block I(16) || u32 q || u16 i || u8 j || value(32).
    private static let qOffset = 16
    private static let chainIndexOffset = 20
    private static let stepOffset = 22
    private static let valueOffset = 23
    private static let blockLength = 55

    /// Applies H(I || u32(q) || u16(i) || u8(j) || value) for j in `steps`, in place.
    /// With `steps` = 0xff…0xff and value = SEED it is the Appendix A pseudorandom derivation.
    static func chain(_ value: inout [UInt8], identifier: [UInt8], q: UInt32, index: UInt16, steps: Range<Int>) {
        guard !steps.isEmpty else { return }
        var block = [UInt8](repeating: 0, count: blockLength)
        block.replaceSubrange(0..<16, with: identifier)
        writeUInt32(q, into: &block, at: qOffset)
        block[chainIndexOffset] = UInt8(index >> 8)
        block[chainIndexOffset + 1] = UInt8(truncatingIfNeeded: index)
        block.replaceSubrange(valueOffset..<blockLength, with: value)
        block.withUnsafeMutableBytes { buffer in
            for step in steps {
                buffer[stepOffset] = UInt8(truncatingIfNeeded: step)
                var hasher = SHA256()
                hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
                let digest = hasher.finalize()
                digest.withUnsafeBytes { digestBytes in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[valueOffset...]).copyMemory(from: digestBytes)
                }
            }
        }
        value.replaceSubrange(0..<n, with: block[valueOffset...])
        block.wipe()
    }

    /// Appendix A: x_q[i] = H(I || u32(q) || u16(i) || u8(0xff) || SEED), and C likewise with i = 0xFFFD.
    static func derive(seed: [UInt8], identifier: [UInt8], q: UInt32, index: UInt16) -> [UInt8] {
        var value = seed
        chain(&value, identifier: identifier, q: q, index: index, steps: 0xFF..<0x100)
        return value
    }

    /// H(I || u32(r) || u16(domain) || parts...), used for leaves, interior nodes, K and Q.
    static func hash(identifier: [UInt8], number: UInt32, domain: UInt16, _ parts: [UInt8]...) -> [UInt8] {
        var hasher = SHA256()
        var header = identifier
        header.appendUInt32(number)
        header += [UInt8(domain >> 8), UInt8(truncatingIfNeeded: domain)]
        hasher.update(data: header)
        for part in parts { hasher.update(data: part) }
        return Array(hasher.finalize())
    }

    private static func writeUInt32(_ value: UInt32, into block: inout [UInt8], at offset: Int) {
        for index in 0..<4 { block[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
    }
}
