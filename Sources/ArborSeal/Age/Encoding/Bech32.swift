import ArborCore

/// Bech32 (BIP 173) as age uses it for keys: no length limit on the data part, the string all
/// lowercase or all uppercase (never mixed), and the checksum always computed over the lowercase
/// form. The separator is the last `1`, so a human-readable part may itself contain `1`
/// (`age1pq`). The checksum is Bech32's, not Bech32m's.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in charset.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// Encodes `data` under `hrp`; the whole string is uppercase when `uppercase` is set.
    static func encode(hrp: String, data: [UInt8], uppercase: Bool) -> String {
        let lowerHRP = Array(hrp.lowercased().utf8)
        var values = convert(data, from: 8, to: 5, pad: true) ?? []
        defer { values.wipe() }
        let checksum = createChecksum(hrp: lowerHRP, values: values)
        var text = lowerHRP + [UInt8(ascii: "1")]
        text += (values + checksum).map { charset[Int($0)] }
        defer { text.wipe() }
        let string = String(decoding: text, as: UTF8.self)
        return uppercase ? string.uppercased() : string
    }

    /// Returns the human-readable part, lowercased, and the data. Throws `malformedInput` with
    /// `what` in the message; the message never repeats the (possibly secret) input.
    static func decode(_ text: String, what: String) throws -> (hrp: String, data: [UInt8]) {
        var bytes = Array(text.utf8)
        defer { bytes.wipe() }
        let hasLower = bytes.contains { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        let hasUpper = bytes.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        guard !(hasLower && hasUpper) else {
            throw ArborError(.malformedInput, "\(what) mixes uppercase and lowercase letters; Bech32 strings are one or the other")
        }
        guard let separator = bytes.lastIndex(of: UInt8(ascii: "1")), separator >= 1, separator + 7 <= bytes.count else {
            throw ArborError(.malformedInput, "\(what) is not a Bech32 string")
        }
        for index in bytes.indices where bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z") {
            bytes[index] += 32
        }
        let hrp = Array(bytes[..<separator])
        guard hrp.allSatisfy({ (33...126).contains($0) }) else {
            throw ArborError(.malformedInput, "\(what) has an invalid character in its prefix")
        }
        var values: [UInt8] = []
        defer { values.wipe() }
        values.reserveCapacity(bytes.count - separator - 1)
        for character in bytes[(separator + 1)...] {
            let value = reverse[Int(character)]
            guard value != 0xFF else { throw ArborError(.malformedInput, "\(what) has a character outside the Bech32 alphabet") }
            values.append(value)
        }
        guard polymod(expand(hrp) + values) == 1 else {
            throw ArborError(.malformedInput, "\(what) has a wrong Bech32 checksum; check for a typo")
        }
        guard let data = convert(values.dropLast(6), from: 5, to: 8, pad: false) else {
            throw ArborError(.malformedInput, "\(what) has invalid Bech32 padding")
        }
        return (String(decoding: hrp, as: UTF8.self), data)
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for index in 0..<5 where (top >> UInt32(index)) & 1 == 1 { checksum ^= generator[index] }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func createChecksum(hrp: [UInt8], values: [UInt8]) -> [UInt8] {
        let mod = polymod(expand(hrp) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        return (0..<6).map { UInt8(truncatingIfNeeded: mod >> UInt32(5 * (5 - $0))) & 31 }
    }

    /// Regroups bits; without padding, leftover bits must be fewer than `from` and all zero.
    private static func convert<Values: Collection>(_ data: Values, from: Int, to: Int, pad: Bool) -> [UInt8]?
    where Values.Element == UInt8 {
        var accumulator: UInt32 = 0
        var bits = 0
        let maximum = UInt32(1 << to - 1)
        var output: [UInt8] = []
        output.reserveCapacity(data.count * from / to + 1)
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            accumulator = accumulator << UInt32(from) | UInt32(value)
            bits += from
            while bits >= to {
                bits -= to
                output.append(UInt8(accumulator >> UInt32(bits) & maximum))
            }
        }
        accumulator &= (1 << UInt32(bits)) - 1
        if pad {
            if bits > 0 { output.append(UInt8(accumulator << UInt32(to - bits) & maximum)) }
        } else if bits >= from || accumulator != 0 {
            output.wipe()
            return nil
        }
        return output
    }
}
