import ArborCore
import ArborKeyStore

/// Where the node's audit entries go. `AuditLogFile` in production; tests put in a sink that fails.
public protocol AuditSink: Sendable {
    @discardableResult
    func append(
        time: Int64, requestID: String, accessor: String, operation: String, keyring: String, result: String, client: String
    ) async throws -> AuditEntry
    @discardableResult
    func signHead(time: Int64) async throws -> AuditHead?
    /// The last head signed, as the log holds it (nil before the first).
    var lastHead: AuditHead? { get }
}

extension AuditLogFile: AuditSink {}

/// The node's audit log with the key that masks identifying values (docs/audit.md): one entry per
/// request, a signed head now and then and at shutdown.
public struct NodeAudit: Sendable {
    let sink: any AuditSink
    let mask: AuditMask

    public init(sink: any AuditSink, node: NodeKeySet) {
        self.sink = sink
        mask = AuditMask(node: node)
    }
}
