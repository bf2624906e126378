import Crypto

/// `count` bytes from the operating system's CSPRNG, through swift-crypto.
package func randomBytes(_ count: Int) -> [UInt8] {
    SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Array($0) }
}

extension RandomNumberGenerator {
    /// `count` bytes drawn from the generator, eight at a time from `next()` in little-endian
    /// order. Deterministic test generators rely on this order; production callers pass
    /// `SystemRandomNumberGenerator`.
    package mutating func randomBytes(count: Int) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            var word: UInt64 = next()
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
