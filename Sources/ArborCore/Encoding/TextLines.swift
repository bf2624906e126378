/// The lines of a text held as bytes (a key file in wiped memory), each trimmed of spaces, tabs
/// and carriage returns, as ranges into the bytes: no line is copied out, so none is left behind.
package enum TextLines {
    package static func trimmedRanges(of text: UnsafeRawBufferPointer) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var start = 0
        for index in 0...text.count where index == text.count || text[index] == UInt8(ascii: "\n") {
            var lower = start
            var upper = index
            while lower < upper, isBlank(text[lower]) { lower += 1 }
            while lower < upper, isBlank(text[upper - 1]) { upper -= 1 }
            lines.append(lower..<upper)
            start = index + 1
        }
        return lines
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}
