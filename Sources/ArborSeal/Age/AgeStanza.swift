import ArborCore

/// One recipient stanza of an age header: a type, arguments, and a binary body.
///
/// On the wire: `-> TYPE ARG…` then the body in unpadded base64 wrapped at 64 columns, ending with
/// a line shorter than 64 columns (possibly empty).
public struct AgeStanza: Sendable, Hashable {
    public let type: String
    public let arguments: [String]
    public let body: [UInt8]

    /// Arguments are non-empty strings of visible ASCII (`%x21-7E`).
    public init(type: String, arguments: [String], body: [UInt8]) throws {
        for argument in [type] + arguments where !Self.isValidArgument(Array(argument.utf8)) {
            throw ArborError(.invalidArgument, "an age stanza argument must be non-empty visible ASCII without spaces")
        }
        self.type = type
        self.arguments = arguments
        self.body = body
    }

    init(validatedType type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }

    static func isValidArgument<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        !bytes.isEmpty && bytes.allSatisfy { (33...126).contains($0) }
    }

    /// The stanza as it appears in a header, ending with a newline.
    public var encoded: [UInt8] {
        var output = Array("->".utf8)
        for argument in [type] + arguments {
            output.append(UInt8(ascii: " "))
            output += Array(argument.utf8)
        }
        output.append(UInt8(ascii: "\n"))
        let text = AgeBase64.encode(body, padded: false)
        var start = 0
        while true {
            let end = min(start + AgeHeader.columnsPerLine, text.count)
            output += text[start..<end]
            output.append(UInt8(ascii: "\n"))
            // The final line is the first one shorter than 64 columns; it may be empty.
            if end - start < AgeHeader.columnsPerLine { break }
            start = end
        }
        return output
    }
}
