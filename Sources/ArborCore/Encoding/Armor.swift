import Foundation

/// Text armor for Arbor's binary files, in the manner of PEM: a BEGIN line naming the content,
/// standard base64 in lines of 64 characters, an END line. Encoding is canonical; decoding requires
/// canonical base64 and full lines, and tolerates only CRLF, trailing spaces and blank edge lines.
///
/// Works on bytes, with constant-time base64, so that a secret (a node key file) is armored and
/// read without passing through a `String` or a lookup table; the text forms wrap the same code.
public enum Armor {
    public static func encode(_ bytes: [UInt8], label: String) -> String {
        bytes.withUnsafeBytes { input in
            String(
                unsafeUninitializedCapacity: encodedCount(input.count, label: label),
                initializingUTF8With: { output in
                    encode(input, label: label, into: UnsafeMutableRawBufferPointer(output))
                })
        }
    }

    /// Armors a secret into wiped-on-release memory.
    public static func encode(secret bytes: UnsafeRawBufferPointer, label: String) -> SecretBytes {
        SecretBytes(count: encodedCount(bytes.count, label: label)) { output in _ = encode(bytes, label: label, into: output) }
    }

    /// Decodes armored text with the given label; trailing whitespace and CRLF line ends are tolerated.
    public static func decode(_ text: String, label: String) throws -> [UInt8] {
        try Array(text.utf8).withUnsafeBytes { try decode(bytes: $0, label: label, into: { [UInt8]($0) }) }
    }

    /// Decodes an armored secret; the decoded bytes live only in wiped memory.
    public static func decode(secret armored: SecretBytes, label: String) throws -> SecretBytes {
        try armored.withUnsafeBytes { try decode(bytes: $0, label: label, into: { SecretBytes(copying: $0) }) }
    }

    /// The label of an armored text, to tell the user what a file holds.
    public static func label(of text: String) -> String? {
        guard let line = text.split(separator: "\n").first?.trimmingCharacters(in: .whitespacesAndNewlines),
            line.hasPrefix("-----BEGIN "), line.hasSuffix("-----")
        else { return nil }
        return String(line.dropFirst("-----BEGIN ".count).dropLast(5))
    }

    private static let lineLength = 64

    private static func encodedCount(_ byteCount: Int, label: String) -> Int {
        let base64 = Base64.encodedCount(byteCount)
        let lines = (base64 + lineLength - 1) / lineLength
        return beginLine(label).count + base64 + lines + endLine(label).count
    }

    private static func beginLine(_ label: String) -> [UInt8] { Array("-----BEGIN \(label)-----\n".utf8) }
    private static func endLine(_ label: String) -> [UInt8] { Array("-----END \(label)-----\n".utf8) }

    /// Writes exactly `encodedCount` bytes; the base64 goes through a scratch buffer that is wiped.
    private static func encode(_ input: UnsafeRawBufferPointer, label: String, into output: UnsafeMutableRawBufferPointer) -> Int {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Base64.encodedCount(input.count), 1), alignment: 1)
        defer {
            SecretBytes.wipe(scratch)
            scratch.deallocate()
        }
        let base64 = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<Base64.encodedCount(input.count)])
        Base64.encode(input, into: base64)
        var position = 0
        func put<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
            for byte in bytes {
                output[position] = byte
                position += 1
            }
        }
        put(beginLine(label))
        var start = 0
        while start < base64.count {
            put(base64[start..<min(start + lineLength, base64.count)])
            put(CollectionOfOne(UInt8(ascii: "\n")))
            start += lineLength
        }
        put(endLine(label))
        return position
    }

    /// Splits into lines (LF or CRLF), trims spaces and tabs, checks the frame and line lengths,
    /// then decodes the base64 body through a scratch buffer that is wiped.
    private static func decode<Result>(
        bytes text: UnsafeRawBufferPointer, label: String, into make: (UnsafeRawBufferPointer) -> Result
    ) throws -> Result {
        let lines = TextLines.trimmedRanges(of: text)
        var body = lines[...]
        while let last = body.last, last.isEmpty { body = body.dropLast() }
        while let first = body.first, first.isEmpty { body = body.dropFirst() }
        func line(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: text[range]), as: UTF8.self) }
        guard let first = body.first.map(line), first.hasPrefix("-----BEGIN "), first.hasSuffix("-----") else {
            throw ArborError.malformed("expected an armored \(label) (a '-----BEGIN \(label)-----' line)")
        }
        let found = String(first.dropFirst("-----BEGIN ".count).dropLast(5))
        guard found == label else {
            throw ArborError.malformed("this file holds an \(found), not an \(label)")
        }
        guard body.count >= 2, let last = body.last, line(last) == "-----END \(label)-----" else {
            throw ArborError.malformed("the armored \(label) is truncated: its END line is missing")
        }
        let payloadLines = body.dropFirst().dropLast()
        for (position, range) in payloadLines.enumerated() {
            let isLast = position == payloadLines.count - 1
            guard range.count <= lineLength, isLast || range.count == lineLength else {
                throw ArborError.malformed("the armored \(label) has a base64 line of the wrong length")
            }
        }
        let base64Count = payloadLines.reduce(0) { $0 + $1.count }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(base64Count * 2, 1), alignment: 1)
        defer {
            SecretBytes.wipe(scratch)
            scratch.deallocate()
        }
        var position = 0
        for range in payloadLines {
            for index in range {
                scratch[position] = text[index]
                position += 1
            }
        }
        let base64 = UnsafeRawBufferPointer(rebasing: scratch[0..<base64Count])
        guard let count = Base64.decodedCount(base64) else {
            throw ArborError.malformed("the armored \(label) is not valid base64")
        }
        let decoded = UnsafeMutableRawBufferPointer(rebasing: scratch[base64Count..<base64Count + count])
        guard Base64.decode(base64, into: decoded) else {
            throw ArborError.malformed("the armored \(label) is not valid base64")
        }
        return make(UnsafeRawBufferPointer(decoded))
    }
}
