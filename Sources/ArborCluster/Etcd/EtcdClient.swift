import ArborCore
import AsyncHTTPClient
import Foundation
import NIOCore

/// A small etcd v3 client over etcd's JSON gateway (`/v3/kv/…`, `/v3/lease/…`, `/v3/watch`):
/// reads, writes, transactions with compares, leases and watches. It moves bytes and knows
/// nothing of what Arbor stores in them. See docs/etcd.md.
///
/// Calls go to the endpoint that answered last; when a connection to it cannot be made, the next
/// endpoint in the list is tried, and the call fails only when none can be reached.
public final class EtcdClient: Sendable {
    let transport: EtcdTransport

    /// The endpoints as given, without a trailing slash ("http://127.0.0.1:2379").
    public var endpoints: [String] { transport.endpoints }

    /// - Parameters:
    ///   - endpoints: base URLs of etcd's client listeners, tried in this order.
    ///   - httpClient: the HTTP client to share; by default one client for the whole process that
    ///     fails a connection at once instead of retrying it (so fail-over is quick).
    ///   - requestTimeout: how long a unary call may take in all (a watch has no limit).
    public init(
        endpoints: [String],
        httpClient: HTTPClient = EtcdClient.sharedHTTPClient,
        requestTimeout: Duration = .seconds(10)
    ) throws {
        transport = try EtcdTransport(
            endpoints: endpoints,
            httpClient: httpClient,
            requestTimeout: .nanoseconds(
                requestTimeout.components.seconds * 1_000_000_000 + requestTimeout.components.attoseconds / 1_000_000_000
            )
        )
    }

    /// The process-wide HTTP client etcd clients share by default. A connection that cannot be made
    /// fails at once (within 2 seconds) rather than being retried until the request's deadline,
    /// so the next endpoint is tried quickly. Every open watch holds one HTTP/1.1 connection for
    /// as long as it runs, so the pool may open many per endpoint (AsyncHTTPClient's default of 8
    /// would leave calls waiting behind 8 watches).
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        return HTTPClient(configuration: configuration)
    }()

    // MARK: Keys

    /// The key, or nil if it does not exist.
    public func get(_ key: String) async throws -> EtcdKeyValue? {
        let response = try await transport.call(
            "/v3/kv/range",
            EtcdGateway.RangeRequest(key: EtcdKeyRange.key(key)),
            as: EtcdGateway.RangeResponse.self
        )
        return response.kvs?.first?.keyValue
    }

    /// Every key that starts with `prefix`, in key order, and the revision the read saw.
    public func range(prefix: String) async throws -> EtcdRange {
        let response = try await transport.call(
            "/v3/kv/range",
            EtcdGateway.RangeRequest(key: EtcdKeyRange.start(ofPrefix: prefix), range_end: EtcdKeyRange.end(ofPrefix: prefix)),
            as: EtcdGateway.RangeResponse.self
        )
        return EtcdRange(revision: response.header?.revision.orZero ?? 0, keyValues: (response.kvs ?? []).map(\.keyValue))
    }

    /// Writes the key (attached to `lease` unless it is 0) and returns the cluster revision of the write.
    @discardableResult
    public func put(key: String, value: [UInt8], lease: Int64 = 0) async throws -> Int64 {
        let response = try await transport.call(
            "/v3/kv/put",
            EtcdGateway.PutRequest(key: EtcdKeyRange.key(key), value: Data(value), lease: lease == 0 ? nil : EtcdInt64(lease)),
            as: EtcdGateway.PutResponse.self
        )
        return response.header?.revision.orZero ?? 0
    }

    /// Deletes the key; returns how many keys were deleted (0 or 1).
    @discardableResult
    public func delete(key: String) async throws -> Int64 {
        try await deleteRange(EtcdGateway.DeleteRangeRequest(key: EtcdKeyRange.key(key)))
    }

    /// Deletes every key that starts with `prefix`; returns how many were deleted.
    @discardableResult
    public func delete(prefix: String) async throws -> Int64 {
        try await deleteRange(
            EtcdGateway.DeleteRangeRequest(key: EtcdKeyRange.start(ofPrefix: prefix), range_end: EtcdKeyRange.end(ofPrefix: prefix))
        )
    }

    private func deleteRange(_ request: EtcdGateway.DeleteRangeRequest) async throws -> Int64 {
        try await transport.call("/v3/kv/deleterange", request, as: EtcdGateway.DeleteRangeResponse.self).deleted.orZero
    }

    /// Drops the history before `revision`: watches from older revisions then fail as compacted.
    public func compact(revision: Int64) async throws {
        _ = try await transport.call(
            "/v3/kv/compaction",
            EtcdGateway.CompactionRequest(revision: EtcdInt64(revision)),
            as: EtcdGateway.PutResponse.self
        )
    }

    // MARK: Transactions

    /// Runs `success` if every compare holds, else `failure`, atomically.
    public func transaction(
        compare: [EtcdCompare],
        success: [EtcdOperation],
        failure: [EtcdOperation] = []
    ) async throws -> EtcdTransactionResult {
        let request = EtcdGateway.TxnRequest(
            compare: compare.map(\.wire),
            success: success.map(\.wire),
            failure: failure.map(\.wire)
        )
        let response = try await transport.call("/v3/kv/txn", request, as: EtcdGateway.TxnResponse.self)
        return EtcdTransactionResult(
            succeeded: response.succeeded ?? false,
            revision: response.header?.revision.orZero ?? 0,
            results: (response.responses ?? []).map(\.result)
        )
    }

    // MARK: Leases

    /// A new lease with the given time to live (etcd may grant a longer one than asked).
    public func grantLease(ttlSeconds: Int64) async throws -> EtcdLease {
        let response = try await transport.call(
            "/v3/lease/grant",
            EtcdGateway.LeaseGrantRequest(TTL: EtcdInt64(ttlSeconds)),
            as: EtcdGateway.LeaseGrantResponse.self
        )
        if let error = response.error, !error.isEmpty {
            throw ArborError(.ioFailure, "etcd refused to grant a lease: \(error)")
        }
        return EtcdLease(id: response.ID.orZero, ttlSeconds: response.TTL.orZero)
    }

    /// One keep-alive round: renews the lease to its full time to live. A returned TTL of 0 means
    /// the lease had already expired and its keys are gone.
    @discardableResult
    public func keepAlive(lease: Int64) async throws -> EtcdLease {
        // The gateway answers the keep-alive stream with one message per request sent: one here.
        let message = try await transport.call(
            "/v3/lease/keepalive",
            EtcdGateway.LeaseIDRequest(ID: EtcdInt64(lease)),
            as: EtcdGateway.StreamMessage<EtcdGateway.LeaseKeepAliveResponse>.self
        )
        if let error = message.error {
            throw ArborError(.ioFailure, "etcd refused to keep lease \(lease) alive: \(error.message ?? "no reason given")")
        }
        return EtcdLease(id: lease, ttlSeconds: message.result?.TTL.orZero ?? 0)
    }

    /// Ends the lease at once, deleting every key attached to it.
    public func revokeLease(_ lease: Int64) async throws {
        _ = try await transport.call(
            "/v3/lease/revoke",
            EtcdGateway.LeaseIDRequest(ID: EtcdInt64(lease)),
            as: EtcdGateway.LeaseRevokeResponse.self
        )
    }
}

extension EtcdCompare {
    var wire: EtcdGateway.Compare {
        var compare = EtcdGateway.Compare(key: EtcdKeyRange.key(key), target: "", result: result.rawValue)
        switch target {
        case .value(let value):
            compare.target = "VALUE"
            compare.value = Data(value)
        case .version(let version):
            compare.target = "VERSION"
            compare.version = EtcdInt64(version)
        case .createRevision(let revision):
            compare.target = "CREATE"
            compare.create_revision = EtcdInt64(revision)
        case .modRevision(let revision):
            compare.target = "MOD"
            compare.mod_revision = EtcdInt64(revision)
        }
        return compare
    }
}

extension EtcdOperation {
    var wire: EtcdGateway.RequestOp {
        switch self {
        case .put(let key, let value, let lease):
            EtcdGateway.RequestOp(
                request_put: EtcdGateway.PutRequest(
                    key: EtcdKeyRange.key(key),
                    value: Data(value),
                    lease: lease == 0 ? nil : EtcdInt64(lease)
                )
            )
        case .delete(let key):
            EtcdGateway.RequestOp(request_delete_range: EtcdGateway.DeleteRangeRequest(key: EtcdKeyRange.key(key)))
        case .deletePrefix(let prefix):
            EtcdGateway.RequestOp(
                request_delete_range: EtcdGateway.DeleteRangeRequest(
                    key: EtcdKeyRange.start(ofPrefix: prefix),
                    range_end: EtcdKeyRange.end(ofPrefix: prefix)
                )
            )
        case .get(let key):
            EtcdGateway.RequestOp(request_range: EtcdGateway.RangeRequest(key: EtcdKeyRange.key(key)))
        case .range(let prefix):
            EtcdGateway.RequestOp(
                request_range: EtcdGateway.RangeRequest(
                    key: EtcdKeyRange.start(ofPrefix: prefix), range_end: EtcdKeyRange.end(ofPrefix: prefix))
            )
        }
    }
}

extension EtcdGateway.ResponseOp {
    var result: EtcdOperationResult {
        if let put = response_put { return .put(revision: put.header?.revision.orZero ?? 0) }
        if let delete = response_delete_range { return .delete(deleted: delete.deleted.orZero) }
        return .range((response_range?.kvs ?? []).map(\.keyValue))
    }
}
