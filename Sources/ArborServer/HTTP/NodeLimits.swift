/// Limits on what a client may send, so that no request can make the node allocate or work
/// without bound.
public struct NodeLimits: Sendable, Equatable {
    public static let defaultJSONBodyBytes = 1 << 20

    /// The largest JSON body a route reads; a larger one is 413 before it is parsed.
    public var jsonBodyBytes: Int
    /// The most bytes `GET /v1/sys/random/:bytes` returns at once.
    public var randomBytes: Int

    public init(jsonBodyBytes: Int = NodeLimits.defaultJSONBodyBytes, randomBytes: Int = 64 * 1024) {
        self.jsonBodyBytes = jsonBodyBytes
        self.randomBytes = randomBytes
    }
}
