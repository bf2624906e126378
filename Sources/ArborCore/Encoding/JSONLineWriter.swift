/// One JSON object on one line, written member by member in the order given (the caller sorts
/// the keys): no spaces, strings escaped as Python's `json.dumps(…, ensure_ascii=False)` escapes
/// them (`"`, `\`, the short escapes, other control characters as lower-case `\u00xx`; every other
/// character as itself).
struct JSONLineWriter {
    private var text = "{"

    mutating func member(_ key: String, string value: String) {
        separate(key)
        Self.append(quoted: value, to: &text)
    }

    /// `value` is the decimal text of an integer.
    mutating func member(_ key: String, number value: String) {
        separate(key)
        text += value
    }

    func finish() -> String { text + "}" }

    private mutating func separate(_ key: String) {
        if text.utf8.count > 1 { text += "," }
        Self.append(quoted: key, to: &text)
        text += ":"
    }

    static func append(quoted value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
