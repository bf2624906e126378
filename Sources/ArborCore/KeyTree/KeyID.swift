import Crypto

/// Names a public key set: SHA-256 over a domain string and the set's encoding.
public struct KeyID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let size = 32
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.size else { throw ArborError.malformed("a key identifier has \(Self.size) bytes") }
        self.bytes = bytes
    }

    init(publicKeys encoded: [UInt8]) {
        bytes = Array(SHA256.hash(data: Array("arbor/v1/key-id".utf8) + [0] + encoded))
    }

    /// Accepts the full 64-digit hex form.
    public init(hex: String) throws {
        let decoded = try Hex.decode(hex)
        guard decoded.count == Self.size else {
            throw ArborError(.invalidArgument, "a key identifier is 64 hex digits; 'arbor cert show' prints it")
        }
        bytes = decoded
    }

    public var hex: String { Hex.encode(bytes) }
    /// The first 8 bytes, for display.
    public var shortHex: String { Hex.encode(bytes.prefix(8)) }
    public var description: String { hex }

    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}
