import ArborCore

/// The name an account signs in with: 1 to 64 characters of `a-z 0-9 . _ -`, so that a name is
/// one byte string on every client (no Unicode look-alikes, no case folding) and safe in a URL.
public struct AccountName: Hashable, Sendable, CustomStringConvertible {
    public static let maximumLength = 64

    public let text: String

    public init(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard (1...Self.maximumLength).contains(bytes.count), bytes.allSatisfy(Self.isAllowed) else {
            throw ArborError(
                .invalidArgument, "an account name is 1 to \(Self.maximumLength) characters of a-z, 0-9, '.', '_' and '-'")
        }
        self.text = text
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "-"):
            true
        default: false
        }
    }

    public var description: String { text }
}
