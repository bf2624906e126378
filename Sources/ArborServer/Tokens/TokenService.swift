import ArborCore
import Crypto
import Foundation
import Logging
import Metrics

/// The rules of tokens: who may create which token, when a presented token counts, and what it
/// may do. Failures are logged by accessor (never the token) and counted.
public struct TokenService: Sendable {
    let store: TokenStore
    let clock: NodeClock
    private let failures: @Sendable (String) -> Counter
    private let denials: @Sendable (Operation) -> Counter
    private let allowed: @Sendable (Operation, String?) -> Counter

    public init(database: NodeDatabase, clock: NodeClock = .system, metrics: any MetricsFactory = MetricsSystem.factory) {
        store = TokenStore(database: database)
        self.clock = clock
        failures = { Counter(label: "arbor_auth_failures_total", dimensions: [("reason", $0)], factory: metrics) }
        denials = { Counter(label: "arbor_auth_denied_total", dimensions: [("operation", $0.rawValue)], factory: metrics) }
        // Keyring names are chosen by the node's operators, so they bound the number of series.
        allowed = {
            Counter(label: "arbor_operations_total", dimensions: [("operation", $0.rawValue), ("keyring", $1 ?? "")], factory: metrics)
        }
    }

    /// The root token: every operation, no expiry. Only `arbor serve init` and `--dev` call this;
    /// no route can make one. `chosen` is `--dev-root-token`.
    public func createRoot(chosen: TokenSecret? = nil) async throws -> TokenSecret {
        let secret = chosen ?? TokenSecret.generate()
        let record = TokenRecord(
            accessor: Self.newAccessor(), isRoot: true, rules: [], displayName: "root", createdAt: clock.now(), expiresAt: nil,
            usesRemaining: nil)
        try await store.insert(record, hash: secret.hash)
        return secret
    }

    /// A token made by `parent`, which needs `token.create` and can hand on only rights it holds,
    /// for no longer than it lives itself.
    public func create(_ request: TokenCreateRequest, by parent: TokenRecord, logger: Logger) async throws -> CreatedToken {
        try authorize(parent, .tokenCreate, keyring: nil, logger: logger)
        guard request.policies.count <= TokenCreateRequest.maximumRules else {
            throw NodeError(.invalidRequest, "a token may have at most \(TokenCreateRequest.maximumRules) policy rules")
        }
        if let uses = request.uses, uses < 1 {
            throw NodeError(.invalidRequest, "uses must be at least 1 (leave it out for unlimited)")
        }
        let displayName = request.displayName ?? ""
        guard displayName.count <= TokenCreateRequest.maximumDisplayNameLength else {
            throw NodeError(.invalidRequest, "display_name may have at most \(TokenCreateRequest.maximumDisplayNameLength) characters")
        }
        if !parent.isRoot, let rule = request.policies.first(where: { !$0.isCovered(by: parent.rules) }) {
            logger.notice("token creation denied: rights beyond the creator's", metadata: ["token.accessor": "\(parent.accessor)"])
            denials(.tokenCreate).increment()
            throw NodeError(
                .permissionDenied,
                "a token can only hand on rights it holds; this token does not allow \(rule.operations.map(\.rawValue).joined(separator: ", ")) on \(rule.keyrings.map(\.text).joined(separator: ", "))"
            )
        }
        let now = clock.now()
        let expiresAt = request.ttl.map { now + $0.seconds } ?? parent.expiresAt
        if let parentExpiry = parent.expiresAt, let expiresAt, expiresAt > parentExpiry {
            throw NodeError(.invalidRequest, "ttl reaches beyond the creating token's own expiry (\(parentExpiry - now) seconds left)")
        }
        let secret = TokenSecret.generate()
        let record = TokenRecord(
            accessor: Self.newAccessor(), isRoot: false, rules: request.policies, displayName: displayName, createdAt: now,
            expiresAt: expiresAt, usesRemaining: request.uses)
        try await store.insert(record, hash: secret.hash)
        logger.info("token created", metadata: ["token.accessor": "\(record.accessor)", "token.parent": "\(parent.accessor)"])
        return CreatedToken(token: secret.reveal(), info: TokenView(record))
    }

    /// The token behind a presented secret, one use taken; 401 if there is none, or it is no
    /// longer valid. The client is not told which (the log is).
    public func authenticate(_ presented: SecretBytes?, logger: Logger) async throws -> TokenRecord {
        guard let presented, !presented.isEmpty else {
            fail("missing", accessor: nil, logger: logger)
            throw NodeError(.missingToken, "this route needs a token in the X-Arbor-Token header (or Authorization: Bearer)")
        }
        let invalid = NodeError(.invalidToken, "the token is not valid: unknown, revoked, expired or used up")
        guard presented.count <= TokenSecret.maximumLength else {
            fail("unknown", accessor: nil, logger: logger)
            throw invalid
        }
        switch try await store.authenticate(hash: TokenSecret(presented).hash, now: clock.now()) {
        case .found(let record):
            return record
        case .unknown:
            fail("unknown", accessor: nil, logger: logger)
        case .expired(let accessor):
            fail("expired", accessor: accessor, logger: logger)
        case .exhausted(let accessor):
            fail("exhausted", accessor: accessor, logger: logger)
        }
        throw invalid
    }

    /// 403 unless one of the token's rules allows `operation` (on `keyring`, for keyring
    /// operations). Deny by default.
    public func authorize(_ token: TokenRecord, _ operation: Operation, keyring: String?, logger: Logger) throws {
        AuditTrail.note(operation: "\(operation)", keyring: keyring)
        guard !token.allows(operation, keyring: keyring) else {
            allowed(operation, keyring).increment()
            return
        }
        denials(operation).increment()
        var metadata: Logger.Metadata = ["token.accessor": "\(token.accessor)", "operation": "\(operation)"]
        if let keyring { metadata["keyring"] = "\(keyring)" }
        logger.notice("request denied by policy", metadata: metadata)
        let target = keyring.map { " on keyring '\($0)'" } ?? ""
        throw NodeError(.permissionDenied, "this token's policies do not allow \(operation)\(target)")
    }

    public func revoke(_ token: TokenRecord, logger: Logger) async throws {
        try await store.revoke(accessor: token.accessor)
        logger.info("token revoked", metadata: ["token.accessor": "\(token.accessor)"])
    }

    private func fail(_ reason: String, accessor: String?, logger: Logger) {
        failures(reason).increment()
        var metadata: Logger.Metadata = ["reason": "\(reason)"]
        if let accessor { metadata["token.accessor"] = "\(accessor)" }
        logger.notice("authentication failed", metadata: metadata)
    }

    /// 16 random bytes in hex: names a token without revealing it.
    static func newAccessor() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }
}
