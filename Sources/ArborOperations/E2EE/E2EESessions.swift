import ArborCore
import ArborE2EE
import Crypto

/// A session just issued: the bearer token is shown here once; the store keeps its SHA-256 only.
public struct IssuedSession: Sendable, CustomStringConvertible {
    /// 32 random bytes in unpadded base64url, for `Authorization: Bearer …`.
    public let token: String
    public let device: DeviceID
    public let expiresAt: Int64

    public var description: String { "IssuedSession(device: \(device), token redacted)" }
}

/// Signed-in devices (docs/e2ee.md §16): a session per device, 12 hours long, found by the hash of
/// its bearer token; an account lists its devices and signs any of them out.
public struct E2EESessions: Sendable {
    public static let lifetimeSeconds: Int64 = 12 * 3600
    public static let tokenSize = 32
    public static let maximumDeviceNameLength = 64

    let store: any E2EEStore

    public init(store: any E2EEStore) { self.store = store }

    /// A new session for a device of `account`, named by the client ("laptop", "Firefox on …").
    public func issue(for account: AccountID, deviceName: String, now: Int64) async throws -> IssuedSession {
        try Self.checkDeviceName(deviceName)
        let token = randomBytes(Self.tokenSize)
        let device = DeviceID.random()
        let session = DeviceSession(
            device: device, account: account, name: deviceName, tokenHash: Self.hash(token), createdAt: now,
            expiresAt: now + Self.lifetimeSeconds)
        try await store.createSession(session)
        return IssuedSession(token: Base64URL.encode(token), device: device, expiresAt: session.expiresAt)
    }

    /// The live session the bearer token names; nil for a token that is malformed, unknown,
    /// signed out or expired (the caller does not learn which).
    public func authenticate(token: String, now: Int64) async throws -> DeviceSession? {
        guard token.utf8.count <= 64, let bytes = Base64URL.decode(token.utf8), bytes.count == Self.tokenSize else { return nil }
        guard let session = try await store.session(tokenHash: Self.hash(bytes), now: now), session.expiresAt > now else { return nil }
        return session
    }

    public func devices(of account: AccountID, now: Int64) async throws -> [DeviceSession] {
        try await store.sessions(of: account, now: now)
    }

    /// Signs a device of `account` out; `not found` when it has no session (or is another account's).
    public func signOut(_ device: DeviceID, of account: AccountID) async throws {
        guard try await store.deleteSession(device: device, of: account) else {
            throw ArborError(.notFound, "this account has no signed-in device \(device)")
        }
    }

    static func checkDeviceName(_ name: String) throws {
        guard (1...maximumDeviceNameLength).contains(name.utf8.count),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw ArborError(.invalidArgument, "a device name is 1 to \(maximumDeviceNameLength) bytes of UTF-8 without control characters")
        }
    }

    static func hash(_ token: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: token)) }
}
