import ArborCore

/// An account's identifier: 16 random bytes the client picks at sign-up. It is bound into every
/// key the account derives and every wrapped key it stores (docs/e2ee.md §2), so nothing of one
/// account's record can be moved into another's.
public struct AccountID: Hashable, Sendable, CustomStringConvertible {
    public static let size = 16
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.size else { throw ArborError(.invalidArgument, "an account id is \(Self.size) bytes") }
        self.bytes = bytes
    }

    public init(hex: String) throws {
        guard let bytes = try? Hex.decode(hex), bytes.count == Self.size else {
            throw ArborError(.invalidArgument, "an account id is \(Self.size * 2) hex digits")
        }
        self.bytes = bytes
    }

    public static func random() -> AccountID { AccountID(validated: randomBytes(size)) }

    private init(validated bytes: [UInt8]) { self.bytes = bytes }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
