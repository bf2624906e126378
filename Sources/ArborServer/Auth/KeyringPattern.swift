/// A keyring name pattern in a policy: a name, or a glob where `*` stands for any run of
/// characters (`payments-*`, `*`). Nothing else is special, so a pattern never surprises.
public struct KeyringPattern: Codable, Sendable, Hashable, CustomStringConvertible {
    public static let maximumLength = 128

    public let text: String

    public init(_ text: String) throws {
        guard !text.isEmpty, text.utf8.count <= Self.maximumLength else {
            throw NodeError(.invalidRequest, "a keyring pattern must have 1 to \(Self.maximumLength) characters")
        }
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7f }) else {
            throw NodeError(.invalidRequest, "a keyring pattern may hold printable ASCII characters only")
        }
        self.text = text
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public var hasWildcard: Bool { text.contains("*") }

    /// Whether `name` matches. Linear-time greedy matching with one backtrack point, so a hostile
    /// pattern cannot make it slow.
    public func matches(_ name: String) -> Bool {
        let pattern = Array(text.utf8)
        let name = Array(name.utf8)
        var p = 0
        var n = 0
        var star: Int?
        var resume = 0
        while n < name.count {
            if p < pattern.count, pattern[p] != UInt8(ascii: "*"), pattern[p] == name[n] {
                p += 1
                n += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                p += 1
                resume = n
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Whether every name `other` matches is also matched by this pattern. Exact for names;
    /// for globs it accepts the cases it can prove (`*`, the same glob, or a prefix glob `abc*`
    /// covering any pattern that starts with `abc`), and refuses the rest.
    public func covers(_ other: KeyringPattern) -> Bool {
        if !other.hasWildcard { return matches(other.text) }
        if text == "*" || text == other.text { return true }
        let stars = text.filter { $0 == "*" }.count
        return stars == 1 && text.hasSuffix("*") && other.text.hasPrefix(String(text.dropLast()))
    }

    public var description: String { text }
}
