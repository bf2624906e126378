/// Standard base64 (RFC 4648 §4, with padding) without table lookups or branches on the data, so
/// that armoring a secret leaks nothing through memory access or timing. Only lengths and the
/// position of padding, which are public, steer the loops.
enum Base64 {
    /// 4 characters for every 3 bytes or part of them.
    static func encodedCount(_ byteCount: Int) -> Int { (byteCount + 2) / 3 * 4 }

    /// Writes the encoding of `input` to `output`, which holds exactly `encodedCount(input.count)`.
    static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count == encodedCount(input.count))
        var out = 0
        var index = 0
        while index < input.count {
            let remaining = input.count - index
            let b0 = Int(input[index])
            let b1 = remaining > 1 ? Int(input[index + 1]) : 0
            let b2 = remaining > 2 ? Int(input[index + 2]) : 0
            output[out] = character(b0 >> 2)
            output[out + 1] = character((b0 << 4 | b1 >> 4) & 0x3f)
            output[out + 2] = remaining > 1 ? character((b1 << 2 | b2 >> 6) & 0x3f) : UInt8(ascii: "=")
            output[out + 3] = remaining > 2 ? character(b2 & 0x3f) : UInt8(ascii: "=")
            index += 3
            out += 4
        }
    }

    /// The number of bytes `input` decodes to, or nil when its length or padding is not canonical.
    static func decodedCount(_ input: UnsafeRawBufferPointer) -> Int? {
        guard input.count % 4 == 0 else { return nil }
        guard input.count > 0 else { return 0 }
        let padding = input[input.count - 1] == UInt8(ascii: "=") ? (input[input.count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        return input.count / 4 * 3 - padding
    }

    /// Decodes canonical base64 into `output` (exactly `decodedCount(input)` bytes). Returns false
    /// for a character outside the alphabet, padding anywhere but the end, or non-zero unused bits.
    static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard let count = decodedCount(input), output.count == count else { return false }
        var invalid = 0
        var out = 0
        var index = 0
        while index < input.count {
            let isLastGroup = index + 4 == input.count
            let padding = isLastGroup ? input.count / 4 * 3 - count : 0
            let v0 = value(input[index])
            let v1 = value(input[index + 1])
            let v2 = padding >= 2 ? 0 : value(input[index + 2])
            let v3 = padding >= 1 ? 0 : value(input[index + 3])
            invalid |= (v0 | v1 | v2 | v3) >> 8  // any -1 sets every bit
            let group = (v0 & 0x3f) << 18 | (v1 & 0x3f) << 12 | (v2 & 0x3f) << 6 | (v3 & 0x3f)
            output[out] = UInt8(truncatingIfNeeded: group >> 16)
            if padding < 2 { output[out + 1] = UInt8(truncatingIfNeeded: group >> 8) }
            if padding < 1 { output[out + 2] = UInt8(truncatingIfNeeded: group) }
            // Canonical: the bits the padding drops are zero.
            if padding == 1 { invalid |= v2 & 0x03 }
            if padding == 2 { invalid |= v1 & 0x0f }
            index += 4
            out += 3 - padding
        }
        return invalid == 0
    }

    /// The character for a 6-bit value, by arithmetic on masks.
    private static func character(_ value: Int) -> UInt8 {
        var c = value + 65  // 'A'…'Z'
        c += ((25 - value) >> 8) & 6  // 'a'…'z' from 26
        c -= ((51 - value) >> 8) & 75  // '0'…'9' from 52
        c -= ((61 - value) >> 8) & 15  // '+' at 62
        c += ((62 - value) >> 8) & 3  // '/' at 63
        return UInt8(truncatingIfNeeded: c)
    }

    /// The 6-bit value of a character, or -1, by arithmetic on masks: each range test is negative
    /// (all ones after the shift) exactly when the character is in the range.
    private static func value(_ byte: UInt8) -> Int {
        let c = Int(byte)
        var result = -1
        result += ((64 - c) & (c - 91)) >> 8 & (c - 64)  // 'A'…'Z' → 0…25 (+1)
        result += ((96 - c) & (c - 123)) >> 8 & (c - 70)  // 'a'…'z' → 26…51 (+1)
        result += ((47 - c) & (c - 58)) >> 8 & (c + 5)  // '0'…'9' → 52…61 (+1)
        result += ((42 - c) & (c - 44)) >> 8 & 63  // '+' → 62 (+1)
        result += ((46 - c) & (c - 48)) >> 8 & 64  // '/' → 63 (+1)
        return result
    }
}
