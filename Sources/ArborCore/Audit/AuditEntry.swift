import Crypto

/// One request in the audit log: who (a token accessor, HMAC'd), what (operation, keyring), when,
/// from where, and how it ended. Never plaintext, keys or tokens. Each entry's hash covers the
/// previous entry's hash, so the entries form a chain: editing, deleting, inserting or reordering
/// one changes every hash after it. Byte layout in docs/audit.md.
public struct AuditEntry: Sendable, Equatable {
    /// 1 for the first entry, then one more per entry.
    public let sequence: UInt64
    /// Milliseconds since 1970.
    public let time: Int64
    public let requestID: String
    /// The token's accessor, masked with `AuditMask` (never the token).
    public let accessor: String
    public let operation: String
    /// The keyring the request named, or "".
    public let keyring: String
    /// "ok", or the error code the request ended with.
    public let result: String
    /// The client's address.
    public let client: String
    /// The hash of the entry before (32 zero bytes before the first).
    public let previousHash: [UInt8]
    public let hash: [UInt8]

    public static let hashSize = 32
    public static let genesisHash = [UInt8](repeating: 0, count: hashSize)
    /// Each text field is at most this many UTF-8 bytes.
    public static let maximumFieldLength = 1024
    static let domain = "arbor/v1/audit-entry"

    public init(
        sequence: UInt64, time: Int64, requestID: String, accessor: String, operation: String, keyring: String, result: String,
        client: String, previousHash: [UInt8]
    ) throws {
        for (name, value) in [
            ("request id", requestID), ("accessor", accessor), ("operation", operation), ("keyring", keyring), ("result", result),
            ("client", client),
        ] where value.utf8.count > Self.maximumFieldLength {
            throw ArborError(.limitExceeded, "an audit entry's \(name) is longer than \(Self.maximumFieldLength) bytes")
        }
        guard sequence >= 1, previousHash.count == Self.hashSize else {
            throw ArborError(.invalidArgument, "an audit entry has a sequence number from 1 and a 32-byte previous hash")
        }
        self.sequence = sequence
        self.time = time
        self.requestID = requestID
        self.accessor = accessor
        self.operation = operation
        self.keyring = keyring
        self.result = result
        self.client = client
        self.previousHash = previousHash
        hash = Self.hash(
            sequence: sequence, time: time, fields: [requestID, accessor, operation, keyring, result, client], previousHash: previousHash)
    }

    /// The entry that follows `previous` (or the first, when `previous` is nil).
    public static func next(
        after previous: AuditEntry?, time: Int64, requestID: String, accessor: String, operation: String, keyring: String,
        result: String, client: String
    ) throws -> AuditEntry {
        try AuditEntry(
            sequence: (previous?.sequence ?? 0) + 1, time: time, requestID: requestID, accessor: accessor, operation: operation,
            keyring: keyring, result: result, client: client, previousHash: previous?.hash ?? genesisHash)
    }

    /// SHA-256(domain ‖ 0x00 ‖ previous hash ‖ u64 sequence ‖ i64 time ‖ six u16-length-prefixed
    /// UTF-8 fields: request id, accessor, operation, keyring, result, client).
    static func hash(sequence: UInt64, time: Int64, fields: [String], previousHash: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Array(domain.utf8))
        writer.append(UInt8(0))
        writer.append(raw: previousHash)
        writer.append(Int64(bitPattern: sequence))
        writer.append(time)
        for field in fields {
            let bytes = Array(field.utf8)
            writer.append(UInt16(bytes.count))
            writer.append(raw: bytes)
        }
        return Array(SHA256.hash(data: writer.bytes))
    }
}
