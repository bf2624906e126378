import ArborCore

/// What can be read from an age file without any key: its header, armor, and payload size.
public struct AgeInspection: Sendable {
    public let header: AgeHeader
    public let armored: Bool
    /// Bytes after the header: the 16-byte payload nonce and the sealed chunks.
    public let payloadSize: Int

    /// Parses a whole file (binary or armored). Nothing is decrypted.
    public init(file: [UInt8]) throws {
        let firstByte = file.first { !AgeArmor.isWhitespace($0) }
        armored = firstByte == UInt8(ascii: "-")
        var binary: [UInt8] = []
        if armored {
            var decoder = AgeArmorDecoder()
            try decoder.decode(file, into: &binary)
            try decoder.finish(into: &binary)
        } else {
            binary = file
        }
        header = try AgeHeader(parsing: binary)
        payloadSize = binary.count - header.encoded.count
    }
}
