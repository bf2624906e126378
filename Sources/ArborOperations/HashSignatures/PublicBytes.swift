import ArborCore

/// The public binary encodings (RFC 8554 keys and signatures, delegations) travel either as raw
/// bytes or as hex text. The two cannot be confused: every one of these encodings starts with a
/// zero byte, which is not a hex digit.
public enum PublicBytes {
    /// The bytes `raw` holds: hex-decoded when it is hex text (surrounding whitespace ignored), else as given.
    public static func decode(_ raw: [UInt8]) throws -> [UInt8] {
        let trimmed = raw.drop { isWhitespace($0) }.reversed().drop { isWhitespace($0) }.reversed()
        if !trimmed.isEmpty, trimmed.allSatisfy(isHexDigit) {
            return try Hex.decode(String(decoding: Array(trimmed), as: UTF8.self))
        }
        return raw
    }

    public static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
}
