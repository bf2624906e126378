import Crypto

/// Reads what `ByteWriter` wrote, checking every bound: malformed input throws, never traps.
///
/// Shared with the other modules of the package (`package`): ArborCustody's parsers read with
/// `try?` and throw their own `CustodyError`s.
package struct ByteReader {
    private var bytes: [UInt8]
    package private(set) var offset = 0
    /// Names the structure being read, for error messages.
    package let context: String

    package init<Bytes: Sequence>(_ bytes: Bytes, context: String) where Bytes.Element == UInt8 {
        self.bytes = Array(bytes)
        self.context = context
    }

    package var remaining: Int { bytes.count - offset }
    package var isAtEnd: Bool { offset == bytes.count }

    package mutating func read(count: Int) throws -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw ArborError.malformed("\(context) is truncated: it ends before a field of \(count) bytes")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A secret field, copied straight into a key (no intermediate array).
    package mutating func readSecret(count: Int) throws -> SymmetricKey {
        guard count >= 0, count <= remaining else {
            throw ArborError.malformed("\(context) is truncated: it ends before a field of \(count) bytes")
        }
        defer { offset += count }
        return SymmetricKey(data: bytes[offset..<offset + count])
    }

    /// Zeroes the reader's copy of its input, for inputs that held a secret.
    package mutating func wipe() { bytes.wipe() }

    package mutating func readUInt8() throws -> UInt8 { try read(count: 1)[0] }

    /// The 4-byte magic and the version byte that start every Arbor binary format; `what` names
    /// the format in the error ("revocation list").
    package mutating func readHeader(magic: [UInt8], version expected: UInt8, what: String) throws {
        guard try read(count: 4) == magic else { throw ArborError.malformed("this is not an Arbor \(what)") }
        let version = try readUInt8()
        guard version == expected else {
            throw ArborError(.unsupportedVersion, "\(what) version \(version) is not supported; upgrade arbor")
        }
    }

    package mutating func readUInt16() throws -> UInt16 {
        let raw = try read(count: 2)
        return UInt16(raw[0]) << 8 | UInt16(raw[1])
    }

    package mutating func readUInt32() throws -> UInt32 {
        try read(count: 4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    package mutating func readInt64() throws -> Int64 {
        Int64(bitPattern: try read(count: 8).reduce(0) { $0 << 8 | UInt64($1) })
    }

    package mutating func readShortField() throws -> [UInt8] { try read(count: Int(try readUInt8())) }

    package mutating func readLongField(maximum: Int) throws -> [UInt8] {
        let count = Int(try readUInt32())
        guard count <= maximum else {
            throw ArborError.malformed("\(context) has a field of \(count) bytes; at most \(maximum) are allowed")
        }
        return try read(count: count)
    }

    package func expectEnd() throws {
        guard isAtEnd else { throw ArborError.malformed("\(context) has \(remaining) unexpected trailing bytes") }
    }
}
