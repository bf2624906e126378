/// One SLIP-39 share: a mnemonic's header fields and share value.
///
/// Parsing checks the word list, the length, the padding and the RS1024
/// checksum. The `description` shows only the header fields.
public struct SLIP39Share: Hashable, Sendable, CustomStringConvertible {
    /// Random 15-bit identifier shared by every share of one backup.
    public let identifier: UInt16
    /// Whether the backup is extendable (the identifier is not part of the encryption salt).
    public let extendable: Bool
    /// PBKDF2 runs 10000 × 2^e iterations in total.
    public let iterationExponent: Int
    /// Zero-based group index.
    public let groupIndex: Int
    /// Number of groups needed, 1…16.
    public let groupThreshold: Int
    /// Number of groups in the backup, 1…16.
    public let groupCount: Int
    /// Zero-based member index within the group.
    public let memberIndex: Int
    /// Number of member shares needed to rebuild this group's share, 1…16.
    public let memberThreshold: Int
    /// The share value (f(x) for every byte of the group share).
    let value: [UInt8]

    static let metadataWordCount = 4
    static let minimumSecretLength = 16
    /// Two identifier words, two index/threshold words, the value, three check words.
    static let minimumWordCount = metadataWordCount + RS1024.checksumWordCount + (minimumSecretLength * 8 + 9) / 10

    init(
        identifier: UInt16, extendable: Bool, iterationExponent: Int, groupIndex: Int, groupThreshold: Int,
        groupCount: Int, memberIndex: Int, memberThreshold: Int, value: [UInt8]
    ) {
        self.identifier = identifier
        self.extendable = extendable
        self.iterationExponent = iterationExponent
        self.groupIndex = groupIndex
        self.groupThreshold = groupThreshold
        self.groupCount = groupCount
        self.memberIndex = memberIndex
        self.memberThreshold = memberThreshold
        self.value = value
    }

    public var description: String {
        "SLIP39Share(identifier: \(identifier), extendable: \(extendable), iterationExponent: \(iterationExponent), "
            + "group: \(groupIndex + 1) of \(groupCount) (\(groupThreshold) needed), "
            + "member: \(memberIndex + 1) (\(memberThreshold) needed), secretLength: \(value.count))"
    }

    /// The share as space-separated words.
    public var mnemonic: String {
        words.map { SLIP39.wordlist[Int($0)] }.joined(separator: " ")
    }

    /// The share as 10-bit word indices, checksum included.
    var words: [UInt16] {
        let header = UInt32(identifier) << 5 | (extendable ? 1 << 4 : 0) | UInt32(iterationExponent)
        let indices =
            UInt32(groupIndex) << 16 | UInt32(groupThreshold - 1) << 12 | UInt32(groupCount - 1) << 8
            | UInt32(memberIndex) << 4 | UInt32(memberThreshold - 1)
        var data: [UInt16] = [header >> 10, header, indices >> 10, indices].map { UInt16(truncatingIfNeeded: $0) & 0x3FF }
        data += Self.valueWords(value)
        return data + RS1024.checksum(of: data, extendable: extendable)
    }

    /// Parses a mnemonic. Words are separated by whitespace; case is ignored.
    /// Error messages name word positions, never the words themselves.
    public init(mnemonic: String) throws {
        var words = [UInt16]()
        for (position, word) in mnemonic.split(whereSeparator: { $0.isWhitespace }).enumerated() {
            guard let index = SLIP39.wordIndex[word.lowercased()] else {
                throw CustodyError.malformedShare("word \(position + 1) of the mnemonic is not in the SLIP-39 wordlist")
            }
            words.append(index)
        }
        try self.init(words: words)
    }

    init(words: [UInt16]) throws {
        guard words.count >= Self.minimumWordCount else {
            throw CustodyError.malformedShare(
                "this mnemonic has \(words.count) word\(words.count == 1 ? "" : "s"); a SLIP-39 mnemonic has \(Self.minimumWordCount) "
                    + "or 33 (for a 128- or 256-bit secret): is a word missing?"
            )
        }
        // Share values are whole 16-bit units left-padded to a multiple of 10 bits,
        // so at most 8 padding bits are possible.
        let valueWordCount = words.count - Self.metadataWordCount - RS1024.checksumWordCount
        let paddingBits = (valueWordCount * 10) % 16
        guard paddingBits <= 8 else {
            throw CustodyError(
                .invalidPadding,
                "this mnemonic has \(words.count) words, a length no SLIP-39 mnemonic has (\(Self.minimumWordCount) or 33 for a 128- or "
                    + "256-bit secret): is a word missing or doubled?")
        }
        let extendable = (words[1] >> 4) & 1 == 1
        guard RS1024.verify(words, extendable: extendable) else {
            throw CustodyError(.checksumMismatch, "the mnemonic's checksum does not match: a word is wrong, missing or out of order")
        }
        let header = UInt32(words[0]) << 10 | UInt32(words[1])
        let indices = UInt32(words[2]) << 10 | UInt32(words[3])
        let valueWords = words[Self.metadataWordCount..<(words.count - RS1024.checksumWordCount)]
        guard let value = Self.value(fromWords: Array(valueWords), paddingBits: paddingBits) else {
            throw CustodyError(.invalidPadding, "the mnemonic's padding bits are not zero")
        }
        let groupThreshold = Int(indices >> 12 & 0xF) + 1
        let groupCount = Int(indices >> 8 & 0xF) + 1
        guard groupThreshold <= groupCount else {
            throw CustodyError.malformedShare("group threshold \(groupThreshold) is greater than the group count \(groupCount)")
        }
        self.init(
            identifier: UInt16(header >> 5),
            extendable: extendable,
            iterationExponent: Int(header & 0xF),
            groupIndex: Int(indices >> 16),
            groupThreshold: groupThreshold,
            groupCount: groupCount,
            memberIndex: Int(indices >> 4 & 0xF),
            memberThreshold: Int(indices & 0xF) + 1,
            value: value
        )
    }

    /// Packs bytes big-endian into 10-bit words, with zero bits in front.
    /// Bit arithmetic rather than per-bit branches, since the bytes are secret.
    static func valueWords(_ value: [UInt8]) -> [UInt16] {
        let wordCount = (value.count * 8 + 9) / 10
        var words = [UInt16]()
        words.reserveCapacity(wordCount)
        var accumulator: UInt32 = 0
        var bitCount = wordCount * 10 - value.count * 8
        for byte in value {
            accumulator = accumulator << 8 | UInt32(byte)
            bitCount += 8
            if bitCount >= 10 {
                bitCount -= 10
                words.append(UInt16(truncatingIfNeeded: accumulator >> UInt32(bitCount)) & 0x3FF)
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        return words
    }

    /// Unpacks 10-bit words into bytes after dropping `paddingBits` (< 10) leading bits, which must be zero.
    static func value(fromWords words: [UInt16], paddingBits: Int) -> [UInt8]? {
        guard let first = words.first, paddingBits < 10, first >> UInt16(10 - paddingBits) == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(words.count * 10 / 8)
        var accumulator: UInt32 = 0
        var bitCount = -paddingBits
        for word in words {
            accumulator = (accumulator << 10 | UInt32(word & 0x3FF)) & 0x3_FFFF
            bitCount += 10
            while bitCount >= 8 {
                bitCount -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
            }
        }
        return bytes
    }
}
