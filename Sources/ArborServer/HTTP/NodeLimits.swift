import ArborOperations

/// Limits on what a client may send, so that no request can make the node allocate or work
/// without bound.
public struct NodeLimits: Sendable, Equatable {
    public static let defaultJSONBodyBytes = 1 << 20

    /// The largest JSON body a route reads; a larger one is 413 before it is parsed.
    public var jsonBodyBytes: Int
    /// The most bytes `GET /v1/sys/random/:bytes` returns at once.
    public var randomBytes: Int
    /// Seconds a connection may send nothing, between requests or in the middle of a request's
    /// body (a stalled stream upload), before the node closes it.
    public var idleTimeoutSeconds: Int64 = 60
    /// The most items in one batch (at most `KeyringBatch.maximumItems`, as Vault's); more is 413.
    public var batchItems = KeyringBatch.maximumItems
    /// The most bytes of header names and values in one request (one field and all of them); a
    /// larger head is answered 431 and the connection closed.
    public var headerBytes = 32 * 1024
    /// Requests per token (or per client address on the open routes); nil: no limit. Off by
    /// default: a node behind its operators' own gateway should not be throttled twice.
    public var requestRate: RateLimit?
    /// Failed authentications per client address, against guessing tokens; on by default.
    public var failedAuthenticationRate: RateLimit? = RateLimit(perSecond: 1, burst: 20)

    public init(jsonBodyBytes: Int = NodeLimits.defaultJSONBodyBytes, randomBytes: Int = 64 * 1024) {
        self.jsonBodyBytes = jsonBodyBytes
        self.randomBytes = randomBytes
    }

    /// 413 for a batch over ``batchItems``.
    func checkBatch(count: Int) throws {
        guard count <= batchItems else {
            throw NodeError(.limitExceeded, "a batch holds at most \(batchItems) items on this node; this one holds \(count)")
        }
    }
}

/// A token bucket's shape: `burst` requests at once, refilled at `perSecond`.
public struct RateLimit: Sendable, Equatable {
    public var perSecond: Double
    public var burst: Int

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }
}
