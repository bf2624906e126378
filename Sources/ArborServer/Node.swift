import ArborCore
import Metrics

/// The node's services, built once from its database, and shared by every request: the routes
/// hold these and nothing else.
public struct Node: Sendable {
    public let database: NodeDatabase
    public let tokens: TokenService
    public let random: RandomService
    public let limits: NodeLimits
    public let clock: NodeClock

    public init(
        database: NodeDatabase, limits: NodeLimits = NodeLimits(), clock: NodeClock = .system,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.database = database
        self.limits = limits
        self.clock = clock
        tokens = TokenService(database: database, clock: clock, metrics: metrics)
        random = RandomService(limit: limits.randomBytes)
    }

    /// Routes anyone may call.
    var openRoutes: [any NodeRoutes] { [HealthRoutes(database: database)] }

    /// Routes behind a token. Keyrings (`KeyringRoutes`) and the Transit surface
    /// (`TransitRoutes`, whose errors take Vault's shape) are added here as they come.
    var tokenRoutes: [any NodeRoutes] {
        [TokenRoutes(tokens: tokens, limits: limits), RandomRoutes(tokens: tokens, random: random), StreamRoutes(node: self)]
    }
}
