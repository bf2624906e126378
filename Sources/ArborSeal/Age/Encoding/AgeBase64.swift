/// Base64 (RFC 4648 section 4) as age uses it: strict and canonical. The header uses it without
/// `=` padding; the ASCII armor uses it with padding. Decoders reject every byte outside the
/// alphabet (including CR, LF and spaces), misplaced padding, and non-zero trailing bits, so each
/// byte string has exactly one accepted encoding.
enum AgeBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let padding = UInt8(ascii: "=")

    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    static func encode<Bytes: Collection>(_ bytes: Bytes, padded: Bool) -> [UInt8] where Bytes.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = second == nil ? nil : iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(alphabet[Int(group >> 18 & 63)])
            output.append(alphabet[Int(group >> 12 & 63)])
            if second != nil {
                output.append(alphabet[Int(group >> 6 & 63)])
            } else if padded {
                output.append(padding)
            }
            if third != nil {
                output.append(alphabet[Int(group & 63)])
            } else if padded {
                output.append(padding)
            }
        }
        return output
    }

    static func encodeString<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(decoding: encode(bytes, padded: false), as: UTF8.self)
    }

    /// The decoded bytes, or nil when `text` is not canonical base64 of the requested kind.
    static func decode<Text: Collection>(_ text: Text, padded: Bool) -> [UInt8]? where Text.Element == UInt8 {
        var characters = Array(text)
        if padded {
            guard characters.count % 4 == 0 else { return nil }
            var padCount = 0
            while padCount < 2, characters.last == padding {
                characters.removeLast()
                padCount += 1
            }
            // "xxx=" and "xx==" only: never a whole group of padding, never padding inside.
            guard padCount == 0 || characters.count % 4 == 4 - padCount else { return nil }
        }
        guard characters.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in characters {
            let value = reverse[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Canonical: the bits left over after the last whole byte must be zero.
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return output
    }
}
