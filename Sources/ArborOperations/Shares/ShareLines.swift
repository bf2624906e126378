/// One share given as a line of input, with its 1-based line number for error messages.
public struct ShareLine: Sendable {
    public let line: Int
    public let text: String

    public init(line: Int, text: String) {
        self.line = line
        self.text = text
    }

    /// Splits input into share lines, skipping blank lines and lines starting with '#' (the
    /// comments `shares split` and `root split` write for people).
    public static func parse(_ bytes: [UInt8]) -> [ShareLine] {
        var result = [ShareLine]()
        for (offset, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let text = String(decoding: line, as: UTF8.self).trimmingWhitespace
            if text.isEmpty || text.hasPrefix("#") { continue }
            result.append(ShareLine(line: offset + 1, text: text))
        }
        return result
    }
}

extension String {
    /// The string without leading and trailing whitespace (newlines included).
    package var trimmingWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }

    /// Left-pads with zeros to `width` characters (hex identifiers).
    package func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
