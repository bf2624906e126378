import Metrics

/// The node's two rate limits, shared by every request: requests per token (or per client
/// address where there is no token), and failed authentications per client address. A request
/// over either is 429 `rate_limited` with `Retry-After`, audited and counted like other refusals.
public final class NodeRateLimits: Sendable {
    private let requests: RateLimiter?
    private let failedAuthentications: RateLimiter?
    private let refusals: @Sendable (String) -> Counter

    init(limits: NodeLimits, clock: NodeClock, metrics: any MetricsFactory) {
        requests = limits.requestRate.map { RateLimiter($0, clock: clock) }
        failedAuthentications = limits.failedAuthenticationRate.map { RateLimiter($0, clock: clock) }
        refusals = { Counter(label: "arbor_rate_limited_total", dimensions: [("limit", $0)], factory: metrics) }
    }

    /// Takes one request from the token's bucket (or the address's, for a request without one).
    func takeRequest(token accessor: String?, client: String) throws {
        guard let requests, let wait = requests.take(accessor.map { "token:\($0)" } ?? "client:\(client)") else { return }
        refusals("requests").increment()
        throw NodeError.rateLimited(retryAfter: wait, "too many requests for this token; retry after \(wait) seconds")
    }

    /// Refuses an address that has failed authentication too often, before its token is looked at
    /// (so that a guess that would succeed is refused too, and tells the guesser nothing).
    func checkAuthentication(client: String) throws {
        guard let failedAuthentications, let wait = failedAuthentications.waitTime(client) else { return }
        refusals("failed_authentication").increment()
        throw NodeError.rateLimited(
            retryAfter: wait, "too many failed authentications from this address; retry after \(wait) seconds")
    }

    /// Counts a failed authentication against the address.
    func recordFailedAuthentication(client: String) {
        _ = failedAuthentications?.take(client)
    }
}
