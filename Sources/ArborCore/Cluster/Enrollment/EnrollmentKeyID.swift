import Crypto

/// Names the one-time X-Wing key a new node makes to receive its enrollment bundle, and gives the
/// short code a person compares between the new node's screen and the parent's command line, so
/// that a recipient swapped on the way is noticed. Both come from the public key alone. See
/// docs/cluster.md, "Enrollment".
public struct EnrollmentKeyID: Sendable, Hashable, CustomStringConvertible {
    public static let size = 32
    /// The X-Wing (ML-KEM-768 + X25519) public key size.
    public static let publicKeySize = 1216
    static let domain = "arbor/v1/enrollment-key"
    static let codeGroups = 4

    public let bytes: [UInt8]

    /// SHA-256("arbor/v1/enrollment-key" 0x00 ‖ the 1216-byte X-Wing public key).
    public init(xWingPublicKey publicKey: [UInt8]) throws {
        guard publicKey.count == Self.publicKeySize else {
            throw ArborError(.invalidArgument, "a one-time enrollment key is an X-Wing key of \(Self.publicKeySize) bytes")
        }
        bytes = Array(SHA256.hash(data: Array(Self.domain.utf8) + [0] + publicKey))
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    /// Four groups of five digits, as the groups of a safety number: bytes 5i … 5i+4 of the id as a
    /// big-endian integer mod 100000 (about 66 bits), joined by `-`.
    public var code: String {
        (0..<Self.codeGroups).map { group in
            let value = bytes[group * 5..<group * 5 + 5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let text = String(value % 100_000)
            return String(repeating: "0", count: 5 - text.count) + text
        }.joined(separator: "-")
    }

    /// Whether a typed code is this key's: its 20 digits, spaces and dashes free. A code of the
    /// wrong shape is a typo (`invalidArgument`), not a mismatch.
    public func matches(code typed: String) throws -> Bool {
        guard typed.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "-" || $0 == " " }),
            typed.filter(\.isNumber).count == Self.codeGroups * 5
        else {
            throw ArborError(.invalidArgument, "an enrollment code is \(Self.codeGroups * 5) digits, such as 01234-56789-01234-56789")
        }
        return typed.filter(\.isNumber) == code.filter(\.isNumber)
    }
}
