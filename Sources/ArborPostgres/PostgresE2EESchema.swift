import ArborCore
import Logging
import PostgresNIO

/// The E2EE store's tables, in numbered versions. `migrate` applies the versions a database lacks,
/// in one transaction under an advisory lock, so nodes starting together migrate once; running it
/// again changes nothing. A database from a newer Arbor (a version this one does not know) is
/// refused rather than used.
enum PostgresE2EESchema {
    /// Taken by `pg_advisory_xact_lock` while migrating ("arbor-e2" in ASCII).
    static let migrationLock: Int64 = 0x6172_626F_722D_6532

    static let versions: [[String]] = [
        // 1: settings, accounts, sessions, conversations, envelopes, messages, stream chunks and seals.
        [
            "CREATE TABLE e2ee_settings (name text PRIMARY KEY, value bytea NOT NULL)",
            """
            CREATE TABLE e2ee_accounts (
                id bytea PRIMARY KEY,
                name text NOT NULL CONSTRAINT e2ee_accounts_name_key UNIQUE,
                rounds bigint NOT NULL,
                salt bytea NOT NULL,
                login_public_key bytea NOT NULL,
                master_by_password bytea NOT NULL,
                master_by_recovery bytea NOT NULL,
                identity bytea NOT NULL,
                identity_receiving bytea NOT NULL,
                identity_signing bytea NOT NULL,
                identity_pq_signing bytea NOT NULL,
                created_at bigint NOT NULL
            )
            """,
            """
            CREATE TABLE e2ee_sessions (
                device bytea PRIMARY KEY,
                account bytea NOT NULL REFERENCES e2ee_accounts (id) ON DELETE CASCADE,
                name text NOT NULL,
                token_hash bytea NOT NULL CONSTRAINT e2ee_sessions_token_hash_key UNIQUE,
                created_at bigint NOT NULL,
                expires_at bigint NOT NULL
            )
            """,
            "CREATE INDEX e2ee_sessions_account ON e2ee_sessions (account)",
            """
            CREATE TABLE e2ee_conversations (
                id bytea PRIMARY KEY,
                serial bigserial NOT NULL,
                creator bytea NOT NULL,
                nonce bytea NOT NULL,
                created_at bigint NOT NULL,
                message_count bigint NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE e2ee_envelopes (
                serial bigserial PRIMARY KEY,
                conversation bytea NOT NULL REFERENCES e2ee_conversations (id) ON DELETE CASCADE,
                epoch bigint NOT NULL,
                recipient bytea NOT NULL,
                adder bytea NOT NULL,
                bytes bytea NOT NULL,
                CONSTRAINT e2ee_envelopes_recipient_key UNIQUE (conversation, epoch, recipient)
            )
            """,
            "CREATE INDEX e2ee_envelopes_recipient ON e2ee_envelopes (recipient)",
            """
            CREATE TABLE e2ee_messages (
                conversation bytea NOT NULL REFERENCES e2ee_conversations (id) ON DELETE CASCADE,
                position bigint NOT NULL,
                id bytea NOT NULL,
                epoch bigint NOT NULL,
                sender bytea NOT NULL,
                is_stream boolean NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (conversation, position),
                CONSTRAINT e2ee_messages_id_key UNIQUE (conversation, id)
            )
            """,
            """
            CREATE TABLE e2ee_chunks (
                conversation bytea NOT NULL,
                stream bytea NOT NULL,
                chunk_index bigint NOT NULL,
                bytes bytea NOT NULL,
                is_final boolean NOT NULL,
                PRIMARY KEY (conversation, stream, chunk_index),
                FOREIGN KEY (conversation, stream) REFERENCES e2ee_messages (conversation, id) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE e2ee_stream_seals (
                conversation bytea NOT NULL,
                stream bytea NOT NULL,
                seal bytea NOT NULL,
                PRIMARY KEY (conversation, stream),
                FOREIGN KEY (conversation, stream) REFERENCES e2ee_messages (conversation, id) ON DELETE CASCADE
            )
            """,
        ]
    ]

    static var currentVersion: Int { versions.count }

    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS e2ee_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                    logger: logger)
                let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM e2ee_schema_version", logger: logger).collect()
                let found = try rows.first?.decode(Int.self) ?? 0
                guard found <= currentVersion else {
                    throw ArborError(
                        .unsupportedVersion,
                        "the E2EE database has schema version \(found), newer than this arbor's \(currentVersion): run a newer arbor")
                }
                for (index, statements) in versions.enumerated() where index + 1 > found {
                    for statement in statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO e2ee_schema_version (version) VALUES (\(index + 1))", logger: logger)
                    logger.notice("e2ee store: PostgreSQL schema migrated", metadata: ["version": "\(index + 1)"])
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
