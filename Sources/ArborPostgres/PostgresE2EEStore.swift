import ArborCore
import ArborOperations
import Logging
import PostgresNIO
import ServiceLifecycle

/// The E2EE store (docs/e2ee.md §16) on PostgreSQL, for nodes that share one database; SQLite
/// (in the node's data directory) is the default. It holds what the SQLite store holds: public
/// keys, parameters and ciphertext the node cannot open.
///
/// **Start and stop.** The store is a ServiceLifecycle `Service`: `run()` runs the connection pool
/// (`PostgresClient`), brings the schema to the current version, and then serves until graceful
/// shutdown or cancellation, which close the pool. Put it in the node's `ServiceGroup`, or run it
/// in a task of its own and cancel that task to stop (`withRunning` does this for a body). Calls
/// made before the schema is ready wait for it; if migrating fails, they and `run()` throw.
///
/// **Atomicity.** Each method is one transaction at READ COMMITTED. Uniqueness comes from the
/// schema's primary keys and unique constraints (a violation is `conflict`). Counters that must
/// not skip or repeat (message positions, an epoch opened once, chunk indexes) are decided under a
/// row lock (`SELECT … FOR UPDATE` or `UPDATE … RETURNING`) on the conversation or the stream's
/// message, so racing requests queue on that row.
public final class PostgresE2EEStore: E2EEStore, Service {
    let client: PostgresClient
    let logger: Logger
    private let readiness = Readiness()

    /// A store on the database `configuration` names; nothing connects until `run()`.
    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// A store on the database a `postgres://user[:password]@host[:port]/database` URL names.
    public convenience init(url: String, logger: Logger) throws {
        self.init(configuration: try PostgresDatabaseURL(url).configuration, logger: logger)
    }

    /// Runs the pool, migrates the schema, then serves until graceful shutdown or cancellation.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            do {
                try await PostgresE2EESchema.migrate(client, logger: logger)
                readiness.open()
            } catch let error as ArborError {
                readiness.fail(error)
                group.cancelAll()
                throw error
            } catch {
                let refusal = ArborError(
                    .ioFailure,
                    "the E2EE database could not be prepared (\(PostgresE2EEStore.reason(error))): check --e2ee-database, that PostgreSQL runs there, and that the user may create tables"
                )
                readiness.fail(refusal)
                group.cancelAll()
                throw refusal
            }
            try await group.waitForAll()
        }
    }

    /// Runs the store around `body` (for tests and one-off tools): started, migrated, and stopped
    /// when `body` returns or throws.
    public func withRunning<Result>(_ body: (PostgresE2EEStore) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            do {
                try await readiness.wait()
                let result = try await body(self)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    // MARK: Running statements

    /// One statement outside a transaction, its rows collected.
    func rows(_ query: PostgresQuery, refusing refusal: Refusal = .none) async throws -> [PostgresRow] {
        try await readiness.wait()
        return try await translatingErrors(refusal) {
            try await client.withConnection { connection in
                try await connection.query(query, logger: logger).collect()
            }
        }
    }

    /// `body` in one transaction: committed when it returns, rolled back when it throws (and its
    /// error rethrown as it was).
    func transaction<Result: Sendable>(
        refusing refusal: Refusal = .none, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await readiness.wait()
        return try await translatingErrors(refusal) {
            try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let result = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Database errors as Arbor errors: an `ArborError` passes, a constraint violation becomes what
    /// `refusal` says, anything else `I/O failure` naming the SQLSTATE only (server messages may
    /// quote stored values).
    private func translatingErrors<Result>(_ refusal: Refusal, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as ArborError {
            throw error
        } catch {
            if let error = error as? PSQLError, let refused = refusal.translate(error) { throw refused }
            logger.error("e2ee store: PostgreSQL request failed", metadata: ["reason": "\(Self.reason(error))"])
            throw ArborError(
                .ioFailure, "the E2EE database failed (\(Self.reason(error))): try again, or see the node's log")
        }
    }

    /// What went wrong, without any value from the database: PostgreSQL's SQLSTATE, or the
    /// client's error code.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let state = error.serverInfo?[.sqlState] { return "SQLSTATE \(state)" }
            return "\(error.code)"
        }
        if let error = error as? ArborError { return error.message }
        if error is PostgresDecodingError { return "a column of an unexpected type: is the schema Arbor's?" }
        if error is CancellationError { return "cancelled" }
        // The pool's own errors: it gave up connecting (its log says why), or it was shut down.
        return "no connection to the database could be made"
    }
}
