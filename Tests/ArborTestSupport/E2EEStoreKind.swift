import ArborOperations
import ArborPostgres
import ArborServer
import Foundation
import Logging
import Testing

/// The `E2EEStore` implementations the E2EE route tests run against, each made fresh for one
/// test: the route tests take a kind as their argument, so every store passes the same tests.
public enum E2EEStoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    /// The kinds this machine can run: PostgreSQL only where it is installed (scripts/test
    /// installs it; the contract suite says so when it is missing).
    public static var available: [E2EEStoreKind] { PostgresServer.isInstalled ? allCases : [.sqlite] }

    /// A new, empty store, running until the handle is released. `directory` is a fresh directory
    /// the caller removes afterwards. PostgreSQL needs the suite's server (`.postgresServer`).
    public func open(in directory: String) async throws -> RunningE2EEStore {
        switch self {
        case .sqlite:
            return RunningE2EEStore(store: try SQLiteE2EEStore(directory: directory), task: nil, postgres: nil)
        case .postgres:
            guard let server = PostgresServer.shared(for: "E2EE routes on PostgreSQL") else {
                throw PostgresServerError("no PostgreSQL server for this suite")
            }
            let logger = Logger(label: "arbor.test.e2ee-postgres") { _ in SwiftLogNoOpLogHandler() }
            let database = try server.createDatabase()
            let store = try PostgresE2EEStore(url: server.url(database: database), logger: logger)
            return RunningE2EEStore(store: store, task: Task { try await store.run() }, postgres: (server, database))
        }
    }

    public var description: String { rawValue }
}

/// A store for one test, and the task that runs it (PostgreSQL's pool), stopped when released.
public final class RunningE2EEStore: Sendable {
    public let store: any E2EEStore
    let task: Task<Void, any Error>?
    /// PostgreSQL's server and database, for tests that reach behind the node; nil for SQLite.
    public let postgres: (server: PostgresServer, database: String)?

    init(store: any E2EEStore, task: Task<Void, any Error>?, postgres: (server: PostgresServer, database: String)?) {
        self.store = store
        self.task = task
        self.postgres = postgres
    }

    /// A dump of the database (PostgreSQL's `pg_dump`); nil for SQLite, whose files are the dump.
    public func dump() throws -> [UInt8]? { try postgres.map { try $0.server.dump($0.database) } }

    deinit { task?.cancel() }
}
