import ArborCore
import ArborOperations
import Metrics
import Prometheus

/// The node's services, built once from its database, and shared by every request: the routes
/// hold these and nothing else.
public struct Node: Sendable {
    public let database: NodeDatabase
    public let tokens: TokenService
    public let random: RandomService
    public let keyrings: SealedKeyringStore
    /// The node's secret: the owner of the keyrings it creates.
    let owner: NodeSecret
    public let clock: NodeClock
    public let limits: NodeLimits
    /// Requests per token and failed authentications per address (`limits`).
    let rateLimits: NodeRateLimits
    /// One entry per request and signed heads (docs/audit.md); nil only in tests that look at
    /// something else.
    public let audit: NodeAudit?
    /// What `GET /v1/sys/metrics` emits: the registry behind the process's metrics backend (empty
    /// when the metrics go elsewhere, as in tests that count them with a test factory).
    public let metricsRegistry: PrometheusCollectorRegistry
    /// The node's keys and certificate chain, for `sign`, `verify` and signed token origins; nil
    /// when it was started without its chain (those routes then answer 503).
    public let identity: NodeSigningIdentity?
    /// The tokens `decrypt` admitted with `reject_replay`, remembered in the database.
    let replayState: DatabaseStateStore
    /// What the node applied of the cluster state and how fresh it is, when it joined a cluster
    /// (`arbor serve --etcd`); `GET /v1/sys/health` reports it.
    public let cluster: (any ClusterViewSource)?
    /// Where a new key for the running node goes (`POST /v1/sys/rekey`, a rekey through the
    /// cluster); nil when the node cannot be moved while it runs (tests, `serve init`).
    public let keyReplacement: NodeKeyReplacement?
    /// Where the end-to-end encrypted applications' data lives (`/v1/e2ee`, docs/e2ee.md §16):
    /// `SQLiteE2EEStore` beside the node database by default (`arbor serve`), or any other store;
    /// nil: those routes answer 503.
    public let e2eeStore: (any E2EEStore)?
    /// The sign-in and recovery challenges handed out, until used or expired.
    let e2eeChallenges = LoginChallenges()
    /// Wakes the readers of a token stream when it grows.
    let e2eeNotifier = StreamNotifier()

    public init(
        database: NodeDatabase, owner: NodeSecret, limits: NodeLimits = NodeLimits(), clock: NodeClock = .system,
        metrics: any MetricsFactory = MetricsSystem.factory, metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        audit: NodeAudit? = nil, identity: NodeSigningIdentity? = nil, cluster: (any ClusterViewSource)? = nil,
        keyReplacement: NodeKeyReplacement? = nil, e2eeStore: (any E2EEStore)? = nil
    ) {
        self.e2eeStore = e2eeStore
        self.cluster = cluster
        self.keyReplacement = keyReplacement
        self.identity = identity
        self.metricsRegistry = metricsRegistry
        self.database = database
        self.limits = limits
        self.owner = owner
        self.clock = clock
        self.audit = audit
        keyrings = SealedKeyringStore(database: database, clock: clock)
        tokens = TokenService(database: database, clock: clock, metrics: metrics)
        random = RandomService(limit: limits.randomBytes)
        rateLimits = NodeRateLimits(limits: limits, clock: clock, metrics: metrics)
        replayState = DatabaseStateStore(database: database, name: "replay")
    }

    /// Routes anyone may call.
    var openRoutes: [any NodeRoutes] { [HealthRoutes(database: database, cluster: cluster, clock: clock), OpenAPIRoutes()] }

    /// Routes behind a token.
    var tokenRoutes: [any NodeRoutes] {
        [
            TokenRoutes(tokens: tokens, limits: limits), RandomRoutes(tokens: tokens, random: random),
            KeyringRoutes(
                tokens: tokens, operations: KeyringOperations(store: keyrings), owner: owner, identity: identity,
                replayState: replayState, clock: clock, limits: limits),
            StreamRoutes(node: self), MetricsRoutes(tokens: tokens, registry: metricsRegistry),
            SignatureRoutes(tokens: tokens, identity: identity, clock: clock, limits: limits),
            AuditHeadRoutes(tokens: tokens, audit: audit),
            EnrollmentIssueRoutes(tokens: tokens, owner: owner, identity: identity, keyrings: keyrings, clock: clock, limits: limits),
            NodeRekeyRoutes(
                tokens: tokens, owner: owner, identity: identity, replacement: keyReplacement, cluster: cluster, clock: clock),
        ]
    }

    /// The end-to-end encrypted applications' routes, under `/v1/e2ee`: open to anyone (sign-up,
    /// sign-in) or behind a device session, never behind a node token.
    var e2eeRoutes: [any NodeRoutes] {
        let gate = E2EEGate(node: self)
        return [
            E2EEAccountRoutes(gate: gate), E2EERecoveryRoutes(gate: gate), E2EEConversationRoutes(gate: gate),
            E2EEStreamRoutes(gate: gate),
        ]
    }

    /// Vault's Transit surface, behind a token too, but registered apart: its errors, the token
    /// check's included, take Vault's shape (`TransitErrorMiddleware` wraps the authenticator).
    var transitRoutes: TransitRoutes {
        TransitRoutes(
            tokens: tokens, operations: KeyringOperations(store: keyrings), owner: owner, clock: clock, limits: limits, random: random)
    }
}
