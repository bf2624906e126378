import ArborCore
import NIOCore
import PostgresNIO

/// What a constraint violation means for one call: a duplicate is `conflict`, a missing row that
/// a foreign key names is `not found`; each with a message that says what to do. Messages name ids,
/// never stored bytes.
struct Refusal: Sendable {
    /// The `conflict` message for a unique violation, given the constraint's name; nil for a
    /// constraint the caller did not expect (left an I/O failure).
    var duplicate: (@Sendable (_ constraint: String) -> String?)?
    /// The `not found` message for a foreign-key violation.
    var missing: String?

    static let none = Refusal()

    func translate(_ error: PSQLError) -> ArborError? {
        switch error.serverInfo?[.sqlState] {
        case "23505": duplicate?(error.serverInfo?[.constraintName] ?? "").map { ArborError(.conflict, $0) }
        case "23503": missing.map { ArborError(.notFound, $0) }
        default: nil
        }
    }
}

extension Array where Element == UInt8 {
    /// The bytes as a `bytea` parameter ([UInt8] itself would bind as a PostgreSQL array).
    var bytea: ByteBuffer { ByteBuffer(bytes: self) }
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
}
