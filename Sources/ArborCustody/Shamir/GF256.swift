/// Arithmetic in GF(2^8) modulo the Rijndael polynomial x^8 + x^4 + x^3 + x + 1,
/// the field used both by Arbor shares and by SLIP-39.
///
/// Every operation runs in time independent of its operands: multiplication is
/// shift-and-add with masks instead of log/exp tables (whose memory accesses
/// would depend on secret bytes), and inversion is a fixed square-and-multiply
/// chain for x^254.
enum GF256 {
    /// Addition and subtraction are both XOR in characteristic 2.
    @inline(__always)
    static func add(_ a: UInt8, _ b: UInt8) -> UInt8 {
        a ^ b
    }

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a
        var b = b
        var product: UInt8 = 0
        for _ in 0..<8 {
            // All-ones when the low bit of b is set, else zero: no branch on data.
            product ^= a & (0 &- (b & 1))
            let highBitMask = 0 &- (a >> 7)
            a = (a << 1) ^ (0x1B & highBitMask)
            b >>= 1
        }
        return product
    }

    /// The multiplicative inverse, a^254 (so 0 maps to 0).
    static func inverse(_ a: UInt8) -> UInt8 {
        // 254 = 0b1111_1110. The exponent is public, so branching on its bits is fine.
        var result: UInt8 = 1
        for bit in (0..<8).reversed() {
            result = multiply(result, result)
            if (254 >> bit) & 1 == 1 {
                result = multiply(result, a)
            }
        }
        return result
    }

    static func divide(_ a: UInt8, _ b: UInt8) -> UInt8 {
        multiply(a, inverse(b))
    }
}
