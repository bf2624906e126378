/// The RS1024 checksum of SLIP-39: a Reed-Solomon code over GF(1024) whose
/// three check words detect any error in up to three words.
enum RS1024 {
    private static let generator: [UInt32] = [
        0x00E0_E040, 0x01C1_C080, 0x0383_8100, 0x0707_0200, 0x0E0E_0009,
        0x1C0C_2412, 0x3808_6C24, 0x3090_FC48, 0x21B1_F890, 0x03F3_F120,
    ]

    static let checksumWordCount = 3

    static func customization(extendable: Bool) -> [UInt16] {
        Array((extendable ? "shamir_extendable" : "shamir").utf8).map(UInt16.init)
    }

    private static func polymod(_ values: [UInt16]) -> UInt32 {
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 20
            checksum = (checksum & 0xF_FFFF) << 10 ^ UInt32(value)
            for bit in 0..<10 where (top >> bit) & 1 == 1 {
                checksum ^= generator[bit]
            }
        }
        return checksum
    }

    /// The three check words for `data` (10-bit values).
    static func checksum(of data: [UInt16], extendable: Bool) -> [UInt16] {
        let value = polymod(customization(extendable: extendable) + data + [0, 0, 0]) ^ 1
        return (0..<3).map { UInt16(truncatingIfNeeded: value >> (10 * (2 - $0))) & 0x3FF }
    }

    /// Whether `words` (data followed by the three check words) is a valid codeword.
    static func verify(_ words: [UInt16], extendable: Bool) -> Bool {
        polymod(customization(extendable: extendable) + words) == 1
    }
}
