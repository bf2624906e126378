import ArborCore

/// Bech32 (BIP 173) as age uses it for keys: no length limit on the data part, the string all
/// lowercase or all uppercase (never mixed), and the checksum always computed over the lowercase
/// form. The separator is the last `1`, so a human-readable part may itself contain `1`
/// (`age1pq`). The checksum is Bech32's, not Bech32m's.
///
/// Identities are secrets, so the data part is handled in constant time: characters are mapped
/// without a lookup table, the checksum without branches on its value, and the text and the data
/// live in `SecretBytes`. Only lengths and the separator's position, which are public, steer it.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    /// Encodes `data` under `hrp` into wiped-on-release memory, uppercase when `uppercase` is set.
    static func encode(hrp: String, data: UnsafeRawBufferPointer, uppercase: Bool) -> SecretBytes {
        let prefix = Array(hrp.lowercased().utf8)
        let valueCount = (data.count * 8 + 4) / 5
        return SecretBytes(count: valueCount + 6) { values in
            convert(UnsafeRawBufferPointer(data), from: 8, to: 5, into: UnsafeMutableRawBufferPointer(rebasing: values[0..<valueCount]))
            let checksum = polymod(prefix: prefix, values: UnsafeRawBufferPointer(rebasing: values[0..<valueCount]), zeros: 6) ^ 1
            for index in 0..<6 {
                values[valueCount + index] = UInt8(truncatingIfNeeded: checksum >> UInt32(5 * (5 - index))) & 31
            }
        }.withUnsafeBytes { values in
            SecretBytes(count: prefix.count + 1 + values.count) { text in
                for (index, byte) in prefix.enumerated() { text[index] = uppercase ? upper(byte) : byte }
                text[prefix.count] = UInt8(ascii: "1")
                for index in 0..<values.count {
                    let character = self.character(values[index])
                    text[prefix.count + 1 + index] = uppercase ? upper(character) : character
                }
            }
        }
    }

    /// A public key's encoding as text.
    static func encode(hrp: String, data: [UInt8], uppercase: Bool) -> String {
        data.withUnsafeBytes { encode(hrp: hrp, data: $0, uppercase: uppercase) }.withUnsafeBytes {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// Returns the human-readable part, lowercased, and the data in wiped-on-release memory.
    /// Throws `malformedInput` with `what` in the message; the message never repeats the input.
    static func decode(_ text: UnsafeRawBufferPointer, what: String) throws -> (hrp: String, data: SecretBytes) {
        var lowerCount = 0
        var upperCount = 0
        for byte in text {
            lowerCount += isInRange(byte, UInt8(ascii: "a"), UInt8(ascii: "z"))
            upperCount += isInRange(byte, UInt8(ascii: "A"), UInt8(ascii: "Z"))
        }
        guard lowerCount == 0 || upperCount == 0 else {
            throw ArborError(.malformedInput, "\(what) mixes uppercase and lowercase letters; Bech32 strings are one or the other")
        }
        guard let separator = text.lastIndex(of: UInt8(ascii: "1")), separator >= 1, separator + 7 <= text.count else {
            throw ArborError(.malformedInput, "\(what) is not a Bech32 string")
        }
        let prefix = text[..<separator].map(lower)
        guard prefix.allSatisfy({ (33...126).contains($0) }) else {
            throw ArborError(.malformedInput, "\(what) has an invalid character in its prefix")
        }
        let valueCount = text.count - separator - 1
        var invalid = false
        let values = SecretBytes(count: valueCount) { values in
            var bad = 0
            for index in 0..<valueCount {
                let value = self.value(lower(text[separator + 1 + index]))
                bad |= value >> 8  // -1 sets every bit
                values[index] = UInt8(truncatingIfNeeded: value)
            }
            invalid = bad != 0
        }
        guard !invalid else { throw ArborError(.malformedInput, "\(what) has a character outside the Bech32 alphabet") }
        let checksumValid = values.withUnsafeBytes { polymod(prefix: prefix, values: $0, zeros: 0) == 1 }
        guard checksumValid else {
            throw ArborError(.malformedInput, "\(what) has a wrong Bech32 checksum; check for a typo")
        }
        let payload = valueCount - 6
        let dataCount = payload * 5 / 8
        var paddingValid = false
        let data = values.withUnsafeBytes { values in
            SecretBytes(count: dataCount) { data in
                paddingValid = convert(UnsafeRawBufferPointer(rebasing: values[0..<payload]), from: 5, to: 8, into: data)
            }
        }
        guard paddingValid else { throw ArborError(.malformedInput, "\(what) has invalid Bech32 padding") }
        return (String(decoding: prefix, as: UTF8.self), data)
    }

    /// A public key's text.
    static func decode(_ text: String, what: String) throws -> (hrp: String, data: [UInt8]) {
        let (hrp, data) = try Array(text.utf8).withUnsafeBytes { try decode($0, what: what) }
        return (hrp, data.withUnsafeBytes { Array($0) })
    }

    /// 1 when `low ≤ byte ≤ high`, else 0, without a branch.
    private static func isInRange(_ byte: UInt8, _ low: UInt8, _ high: UInt8) -> Int {
        let c = Int(byte)
        return (((Int(low) - 1 - c) & (c - Int(high) - 1)) >> 8) & 1
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte | UInt8(isInRange(byte, UInt8(ascii: "A"), UInt8(ascii: "Z")) << 5) }
    private static func upper(_ byte: UInt8) -> UInt8 { byte & ~UInt8(isInRange(byte, UInt8(ascii: "a"), UInt8(ascii: "z")) << 5) }

    /// The character of a 5-bit value: every alphabet entry is visited, the match selected by mask.
    private static func character(_ value: UInt8) -> UInt8 {
        var result: UInt8 = 0
        for (index, character) in charset.enumerated() {
            result |= character & UInt8(truncatingIfNeeded: 0 &- isInRange(value, UInt8(index), UInt8(index)))
        }
        return result
    }

    /// The 5-bit value of a lowercase character, or -1, visiting every alphabet entry.
    private static func value(_ byte: UInt8) -> Int {
        var result = -1
        for (index, character) in charset.enumerated() {
            result += (index + 1) & (0 &- isInRange(byte, character, character))
        }
        return result
    }

    /// BIP 173's checksum over the expanded prefix, the values and `zeros` zero values, with the
    /// generator terms selected by masks rather than branches.
    private static func polymod(prefix: [UInt8], values: UnsafeRawBufferPointer, zeros: Int) -> UInt32 {
        var checksum: UInt32 = 1
        func step(_ value: UInt8) {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for index in 0..<5 { checksum ^= generator[index] & (0 &- ((top >> UInt32(index)) & 1)) }
        }
        for byte in prefix { step(byte >> 5) }
        step(0)
        for byte in prefix { step(byte & 31) }
        for value in values { step(value) }
        for _ in 0..<zeros { step(0) }
        return checksum
    }

    /// Regroups bits into `output` (sized by the caller). From 8 to 5 bits the last group is
    /// zero-padded; from 5 to 8, it returns whether the leftover bits are fewer than 5 and all zero.
    @discardableResult
    private static func convert(_ input: UnsafeRawBufferPointer, from: Int, to: Int, into output: UnsafeMutableRawBufferPointer) -> Bool {
        var accumulator: UInt32 = 0
        var bits = 0
        var position = 0
        let maximum = UInt32(1 << to - 1)
        for value in input {
            accumulator = (accumulator << UInt32(from) | UInt32(value)) & 0xffff
            bits += from
            while bits >= to {
                bits -= to
                output[position] = UInt8(accumulator >> UInt32(bits) & maximum)
                position += 1
            }
        }
        let leftover = accumulator & ((1 << UInt32(bits)) - 1)
        if from == 8, bits > 0 {
            output[position] = UInt8(leftover << UInt32(to - bits) & maximum)
            return true
        }
        accumulator = 0
        return bits < from && leftover == 0
    }
}
