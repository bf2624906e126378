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

    public init(jsonBodyBytes: Int = NodeLimits.defaultJSONBodyBytes, randomBytes: Int = 64 * 1024) {
        self.jsonBodyBytes = jsonBodyBytes
        self.randomBytes = randomBytes
    }
}
