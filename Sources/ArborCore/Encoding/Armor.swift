import Foundation

/// Text armor for Arbor's binary files, in the manner of PEM: a BEGIN line naming the content,
/// standard base64 in lines of 64 characters, an END line. Encoding is canonical; decoding requires
/// canonical base64 and full lines, and tolerates only CRLF, trailing spaces and blank edge lines.
public enum Armor {
    public static func encode(_ bytes: [UInt8], label: String) -> String {
        let base64 = Data(bytes).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Decodes armored text with the given label; trailing whitespace and CRLF line ends are tolerated.
    public static func decode(_ text: String, label: String) throws -> [UInt8] {
        // "\r\n" is one Character in Swift, so both line ends are separators.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var body = lines[...]
        while let last = body.last, last.isEmpty { body = body.dropLast() }
        while let first = body.first, first.isEmpty { body = body.dropFirst() }
        guard let first = body.first, first.hasPrefix("-----BEGIN "), first.hasSuffix("-----") else {
            throw ArborError.malformed("expected an armored \(label) (a '-----BEGIN \(label)-----' line)")
        }
        let found = String(first.dropFirst("-----BEGIN ".count).dropLast(5))
        guard found == label else {
            throw ArborError.malformed("this file holds an \(found), not an \(label)")
        }
        guard body.count >= 2, body.last == "-----END \(label)-----" else {
            throw ArborError.malformed("the armored \(label) is truncated: its END line is missing")
        }
        let payloadLines = body.dropFirst().dropLast()
        for (position, line) in payloadLines.enumerated() {
            let isLast = position == payloadLines.count - 1
            guard line.count <= 64, isLast || line.count == 64 else {
                throw ArborError.malformed("the armored \(label) has a base64 line of the wrong length")
            }
        }
        let joined = payloadLines.joined()
        guard let data = Data(base64Encoded: joined), data.base64EncodedString() == joined else {
            throw ArborError.malformed("the armored \(label) is not valid base64")
        }
        return [UInt8](data)
    }

    /// The label of an armored text, to tell the user what a file holds.
    public static func label(of text: String) -> String? {
        guard let line = text.split(separator: "\n").first?.trimmingCharacters(in: .whitespacesAndNewlines),
            line.hasPrefix("-----BEGIN "), line.hasSuffix("-----")
        else { return nil }
        return String(line.dropFirst("-----BEGIN ".count).dropLast(5))
    }
}
