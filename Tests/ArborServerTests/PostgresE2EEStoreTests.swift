import ArborCore
import ArborOperations
import ArborPostgres
import ArborTestSupport
import Logging
import Testing

/// What only the PostgreSQL store has: its schema, migrated at start (docs/server.md, "PostgreSQL
/// for E2EE data"). Its rules are the contract's (E2EEStoreContractTests).
@Suite("E2EE store on PostgreSQL", .postgresServer)
struct PostgresE2EEStoreTests {
    let logger = Logger(label: "arbor.test.e2ee-postgres") { _ in SwiftLogNoOpLogHandler() }

    @Test("the schema is migrated once: a second start keeps the data; a schema from a newer Arbor is refused")
    func migration() async throws {
        guard let server = PostgresServer.shared(for: "PostgreSQL schema migration") else { return }
        let database = try server.createDatabase()
        let url = server.url(database: database)
        let alice = try StoreFixtures.account("alice")
        try await PostgresE2EEStore(url: url, logger: logger).withRunning { try await $0.createAccount(alice) }
        try await PostgresE2EEStore(url: url, logger: logger).withRunning { store async throws in
            #expect(try await store.account(named: "alice") == alice)
        }
        #expect(try server.query("SELECT string_agg(version::text, ',') FROM e2ee_schema_version", in: database) == "1")

        _ = try server.query("INSERT INTO e2ee_schema_version (version) VALUES (99)", in: database)
        let error = await #expect(throws: ArborError.self) {
            try await PostgresE2EEStore(url: url, logger: logger).withRunning { _ in }
        }
        #expect(error?.code == .unsupportedVersion && error?.message.contains("run a newer arbor") == true, "\(String(describing: error))")
    }
}
