import Foundation

// The request and response bodies of etcd's v3 JSON gateway (grpc-gateway over etcdserverpb).
// Property names are the protobuf field names the gateway uses on the wire; bytes (keys, values)
// are `Data`, which JSONEncoder and JSONDecoder write and read as base64; int64 fields are
// `EtcdInt64` (JSON strings). Fields at their zero value are left out by the gateway, hence the
// optionals.
enum EtcdGateway {
    struct ResponseHeader: Decodable {
        var revision: EtcdInt64?
    }

    struct KeyValue: Decodable {
        var key: Data?
        var value: Data?
        var create_revision: EtcdInt64?
        var mod_revision: EtcdInt64?
        var version: EtcdInt64?
        var lease: EtcdInt64?

        var keyValue: EtcdKeyValue {
            EtcdKeyValue(
                key: String(decoding: key ?? Data(), as: UTF8.self),
                value: Array(value ?? Data()),
                createRevision: create_revision.orZero,
                modRevision: mod_revision.orZero,
                version: version.orZero,
                lease: lease.orZero
            )
        }
    }

    // MARK: KV

    struct RangeRequest: Codable {
        var key: Data
        var range_end: Data?
    }

    struct RangeResponse: Decodable {
        var header: ResponseHeader?
        var kvs: [KeyValue]?
    }

    struct PutRequest: Codable {
        var key: Data
        var value: Data
        var lease: EtcdInt64?
    }

    struct PutResponse: Decodable {
        var header: ResponseHeader?
    }

    struct DeleteRangeRequest: Codable {
        var key: Data
        var range_end: Data?
    }

    struct DeleteRangeResponse: Decodable {
        var header: ResponseHeader?
        var deleted: EtcdInt64?
    }

    struct CompactionRequest: Encodable {
        var revision: EtcdInt64
    }

    // MARK: Transactions

    struct Compare: Encodable {
        var key: Data
        var target: String
        var result: String
        var value: Data?
        var version: EtcdInt64?
        var create_revision: EtcdInt64?
        var mod_revision: EtcdInt64?
    }

    struct RequestOp: Encodable {
        var request_range: RangeRequest?
        var request_put: PutRequest?
        var request_delete_range: DeleteRangeRequest?
    }

    struct TxnRequest: Encodable {
        var compare: [Compare]
        var success: [RequestOp]
        var failure: [RequestOp]
    }

    struct ResponseOp: Decodable {
        var response_range: RangeResponse?
        var response_put: PutResponse?
        var response_delete_range: DeleteRangeResponse?
    }

    struct TxnResponse: Decodable {
        var header: ResponseHeader?
        var succeeded: Bool?
        var responses: [ResponseOp]?
    }

    // MARK: Leases

    struct LeaseGrantRequest: Encodable {
        var TTL: EtcdInt64
    }

    struct LeaseGrantResponse: Decodable {
        var ID: EtcdInt64?
        var TTL: EtcdInt64?
        var error: String?
    }

    struct LeaseIDRequest: Encodable {
        var ID: EtcdInt64
    }

    struct LeaseKeepAliveResponse: Decodable {
        var ID: EtcdInt64?
        var TTL: EtcdInt64?
    }

    struct LeaseRevokeResponse: Decodable {
        var header: ResponseHeader?
    }

    // MARK: Watch

    struct WatchCreateRequest: Encodable {
        var key: Data
        var range_end: Data?
        var start_revision: EtcdInt64?
    }

    struct WatchRequest: Encodable {
        var create_request: WatchCreateRequest
    }

    struct Event: Decodable {
        /// "DELETE", or absent for a put (PUT is the enum's zero value).
        var type: String?
        var kv: KeyValue?
    }

    struct WatchResponse: Decodable {
        var header: ResponseHeader?
        var created: Bool?
        var canceled: Bool?
        var compact_revision: EtcdInt64?
        var cancel_reason: String?
        var events: [Event]?
    }

    // MARK: Streams and errors

    /// One line of a streaming answer (watch, lease keep-alive): a result or an error.
    struct StreamMessage<Result: Decodable>: Decodable {
        var result: Result?
        var error: StreamError?
    }

    struct StreamError: Decodable {
        var message: String?
        var grpc_code: Int?
    }

    /// The body of a unary call that failed: {"error":"…","message":"…","code":5}.
    struct ErrorBody: Decodable {
        var message: String?
        var error: String?
        var code: Int?
    }
}
