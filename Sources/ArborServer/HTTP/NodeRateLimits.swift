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

    /// Takes one failed attempt from the address before its token is looked at, and refuses the
    /// request if there is none left (so that a guess that would succeed is refused too, and tells
    /// the guesser nothing). Taken first, not after the lookup, so that guesses sent at once cannot
    /// all pass on the one attempt a refill gives; `authenticationSucceeded` gives it back.
    func reserveAuthentication(client: String) throws {
        guard let failedAuthentications, let wait = failedAuthentications.take(client) else { return }
        refusals("failed_authentication").increment()
        throw NodeError.rateLimited(
            retryAfter: wait, "too many failed authentications from this address; retry after \(wait) seconds")
    }

    /// For an E2EE sign-in or recovery: one failed attempt from the address and one from the
    /// account, taken before the proof is checked (as `reserveAuthentication`), so that guesses
    /// at one account from many addresses are limited too. `signInSucceeded` gives both back.
    func reserveSignIn(account: String, client: String) throws {
        try reserveAuthentication(client: client)
        guard let failedAuthentications, let wait = failedAuthentications.take("e2ee-account:\(account)") else { return }
        refusals("failed_sign_in").increment()
        throw NodeError.rateLimited(retryAfter: wait, "too many failed sign-ins to this account; retry after \(wait) seconds")
    }

    func signInSucceeded(account: String, client: String) {
        failedAuthentications?.giveBack("e2ee-account:\(account)")
        authenticationSucceeded(client: client)
    }

    /// The reserved attempt did not fail: it is returned to the address.
    func authenticationSucceeded(client: String) {
        failedAuthentications?.giveBack(client)
    }
}
