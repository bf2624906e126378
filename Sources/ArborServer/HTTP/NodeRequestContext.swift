import Hummingbird
import Logging

/// What a request carries through the middleware to its handler: Hummingbird's core storage and,
/// once `TokenAuthenticator` has run, the token that made it.
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `TokenAuthenticator`; nil on the unauthenticated routes (health).
    public var token: AuthenticatedToken?
    /// The peer's address, for the audit log ("" when the transport has none, as in tests).
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        token = nil
        clientAddress = source.channel.remoteAddress?.ipAddress ?? ""
    }

    /// Bodies are collected by `JSONBody` with the node's configured limit; this is the ceiling
    /// for anything that uses Hummingbird's own decoding.
    public var maxUploadSize: Int { NodeLimits.defaultJSONBodyBytes }

    /// The token, for handlers behind `TokenAuthenticator`; a route registered outside it that asks
    /// is a programming error answered with 401, not a crash.
    func requireToken() throws -> AuthenticatedToken {
        guard let token else { throw NodeError(.missingToken, "this route needs a token in the X-Arbor-Token header") }
        return token
    }
}
