import ArborCore
import ArborE2EE
import ArborOperations
import NIOCore
import PostgresNIO

extension PostgresE2EEStore {
    public func createSession(_ session: DeviceSession) async throws {
        _ = try await rows(
            """
            INSERT INTO e2ee_sessions (device, account, name, token_hash, created_at, expires_at)
            VALUES (\(session.device.bytes.bytea), \(session.account.bytes.bytea), \(session.name), \(session.tokenHash.bytea),
                \(session.createdAt), \(session.expiresAt))
            """,
            refusing: Refusal(
                duplicate: { [device = session.device.hex] constraint in
                    constraint == "e2ee_sessions_token_hash_key"
                        ? "a session with this token exists: sign in again for a fresh token"
                        : "device \(device) is signed in already: sign in again for a fresh device id"
                },
                missing: "account \(session.account.hex) does not exist: sign up first, or check the account id"))
    }

    /// A session is current while `now <= expires_at`.
    public func session(tokenHash: [UInt8], now: Int64) async throws -> DeviceSession? {
        try await rows(
            """
            SELECT \(unescaped: Self.sessionColumns) FROM e2ee_sessions
            WHERE token_hash = \(tokenHash.bytea) AND expires_at >= \(now)
            """
        ).first.map(Self.session)
    }

    public func sessions(of account: AccountID, now: Int64) async throws -> [DeviceSession] {
        try await rows(
            """
            SELECT \(unescaped: Self.sessionColumns) FROM e2ee_sessions
            WHERE account = \(account.bytes.bytea) AND expires_at >= \(now) ORDER BY created_at, device
            """
        ).map(Self.session)
    }

    public func deleteSession(device: DeviceID, of account: AccountID) async throws -> Bool {
        try await !rows(
            "DELETE FROM e2ee_sessions WHERE device = \(device.bytes.bytea) AND account = \(account.bytes.bytea) RETURNING 1"
        ).isEmpty
    }

    static let sessionColumns = "device, account, name, token_hash, created_at, expires_at"

    static func session(_ row: PostgresRow) throws -> DeviceSession {
        let (device, account, name, tokenHash, createdAt, expiresAt) = try row.decode(
            (ByteBuffer, ByteBuffer, String, ByteBuffer, Int64, Int64).self)
        do {
            return DeviceSession(
                device: try DeviceID(hex: Hex.encode(device.bytes)), account: try AccountID(bytes: account.bytes), name: name,
                tokenHash: tokenHash.bytes, createdAt: createdAt, expiresAt: expiresAt)
        } catch {
            throw ArborError(.corruptFile, "the E2EE database holds a session that does not parse: restore the database from a backup")
        }
    }
}
