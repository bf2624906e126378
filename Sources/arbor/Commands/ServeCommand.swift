import ArborCluster
import ArborCore
import ArborKeyStore
import ArborOperations
import ArborPostgres
import ArborServer
import ArgumentParser
import Configuration
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run an Arbor node: an HTTP key service on its own SQLite database.",
        discussion: """
            'arbor serve --dev' starts at once with a fresh root and node in a temporary directory (removed at exit) \
            and prints the address, a root token and a curl line to try.

            For real use, 'arbor serve init --data DIR --key FILE --chain FILE' sets up a data directory from \
            a node key and its chain, and 'arbor serve --data DIR' runs it.

            SIGTERM or SIGINT stops accepting, finishes the requests under way and exits 0. Logs are JSON lines on \
            stderr. See docs/server.md.
            """,
        subcommands: [ServeInitCommand.self]
    )

    @Flag(name: .long, help: "Development mode: a throwaway root, node and database in a temporary directory.")
    var dev = false

    @Option(
        name: .long,
        help: ArgumentHelp("With --dev: use this root token instead of a random one (or ARBOR_DEV_ROOT_TOKEN).", valueName: "token"))
    var devRootToken: String?

    @Option(name: .long, help: ArgumentHelp("A JSON file of settings (or ARBOR_CONFIG); see docs/server.md.", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("The data directory made by 'arbor serve init'.", valueName: "dir"))
    var data: String?

    @Option(
        name: .long, help: ArgumentHelp("Address to listen on (default 127.0.0.1:8200); port 0 picks a free port.", valueName: "host:port"))
    var listen: String?

    @Option(
        name: .long, help: ArgumentHelp("trace, debug, info (default), notice, warning, error or critical.", valueName: "level"))
    var logLevel: String?

    @Option(name: .long, help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (with --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("The PEM private key of --tls-cert (0600).", valueName: "file"))
    var tlsKey: String?

    @Option(name: .long, help: ArgumentHelp("The oldest TLS version accepted: 1.3 (default) or 1.2.", valueName: "version"))
    var tlsMinVersion: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also listen here for the cluster's other nodes, with mutual TLS 1.3 (docs/cluster.md).", valueName: "host:port"))
    var peerAddress: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Join the cluster whose etcd listens at these URLs (comma-separated); the anchor is the root of the node's chain.",
            valueName: "url[,url…]"))
    var etcd: String?

    @Option(
        name: .long,
        help: ArgumentHelp("With --etcd: the address other nodes reach this one at (default the --listen address).", valueName: "host:port")
    )
    var advertise: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --etcd: share this many seed-tree branches among the members by rendezvous hashing (the same number on every node).",
            valueName: "count"))
    var branches: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Keep the end-to-end encrypted applications' data (ciphertext only) in this PostgreSQL database instead of the data directory's SQLite.",
            valueName: "postgres://user@host:port/db"))
    var e2eeDatabase: String?

    @OptionGroup(title: "Limits") var limits: ServeLimitOptions

    @OptionGroup(title: "Enrollment") var enrollment: ServeEnrollOptions

    /// The flags given, for `ServeSettings` (which adds the environment, the file and defaults).
    var givenSettings: [ServeSettings.Key: ConfigContent] {
        var given: [ServeSettings.Key: ConfigContent] = [:]
        let strings: [(ServeSettings.Key, String?)] = [
            (.listen, listen), (.data, data), (.logLevel, logLevel), (.tlsCert, tlsCert), (.tlsKey, tlsKey),
            (.tlsMinVersion, tlsMinVersion), (.devRootToken, devRootToken), (.peerAddress, peerAddress), (.etcd, etcd),
            (.advertise, advertise), (.e2eeDatabase, e2eeDatabase),
        ]
        for case (let key, let value?) in strings { given[key] = .string(value) }
        let integers: [(ServeSettings.Key, Int?)] = [
            (.jsonBodyBytes, limits.jsonBodyBytes), (.randomBytes, limits.randomBytes), (.batchItems, limits.batchItems),
            (.idleTimeoutSeconds, limits.idleTimeoutSeconds), (.headerBytes, limits.headerBytes), (.requestBurst, limits.requestBurst),
            (.failedAuthBurst, limits.failedAuthBurst), (.branches, branches),
        ]
        for case (let key, let value?) in integers { given[key] = .int(value) }
        let numbers: [(ServeSettings.Key, Double?)] = [
            (.requestsPerSecond, limits.requestsPerSecond), (.failedAuthPerSecond, limits.failedAuthPerSecond),
        ]
        for case (let key, let value?) in numbers { given[key] = .double(value) }
        return given
    }

    func run() async throws {
        let settings = try await ServeSettings.resolve(
            flags: givenSettings, configFile: config, environment: ProcessInfo.processInfo.environment)
        guard dev != (settings.data != nil) else {
            throw ArborError(
                .invalidArgument,
                "run either 'arbor serve --dev' or 'arbor serve --data DIR' (made by 'arbor serve init'; or ARBOR_DATA, or 'data' in the config file)"
            )
        }
        guard settings.devRootToken == nil || dev else {
            throw ArborError(.invalidArgument, "--dev-root-token (ARBOR_DEV_ROOT_TOKEN) goes with --dev only")
        }
        if let devRootToken = settings.devRootToken, devRootToken.isEmpty || devRootToken.utf8.count > 256 {
            throw ArborError(.invalidArgument, "--dev-root-token takes 1 to 256 characters")
        }
        var address = settings.listen
        guard (settings.tlsCertificate == nil) == (settings.tlsKey == nil) else {
            throw ArborError(.invalidArgument, "--tls-cert and --tls-key go together")
        }
        let tls = try settings.tlsCertificate.map {
            try NodeTLS(certificateFile: $0, keyFile: settings.tlsKey!, minimumVersion: settings.tlsMinimumVersion)
        }
        let level = settings.logLevel
        let logger = Logger(label: "arbor.node") { JSONLogHandler(label: $0, level: level) }
        // A new node first waits for its enrollment bundle, then serves as any other.
        if enrollment.enroll {
            guard !dev, let data = settings.data else { throw ArborError(.invalidArgument, "--enroll needs --data DIR (and no --dev)") }
            guard let port = try await enrollment.enroll(data: data, address: address, logger: logger) else { return }
            address = ListenAddress(host: address.host, port: port)
        }

        let temporary = dev ? FileManager.default.temporaryDirectory.appendingPathComponent("arbor-dev-\(UUID().uuidString)").path : nil
        var directory =
            try temporary.map { try NodeDataDirectory.development(at: $0, now: Int64(Date().timeIntervalSince1970)) }
            ?? NodeDataDirectory.open(settings.data!)
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        // Every metric of the process (the node's and Hummingbird's) goes to one Prometheus registry.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        // The server shuts down gracefully on these signals; the CLI's clean-up-and-die handlers
        // would end it with the signal instead.
        TemporaryFiles.stopRemovingOnTermination()
        var createsRootToken = dev
        var peerAddress = settings.peerAddress
        // A new key (a rekey through the cluster, or asked through the API) stops the services;
        // the key is installed in the data directory and they start again on it, on the same port.
        while true {
            let replacement = NodeKeyReplacement()
            let ports = try await runNode(
                directory, settings: settings, address: address, peerAddress: peerAddress, tls: tls, registry: registry,
                createsRootToken: createsRootToken, temporary: temporary, replacement: replacement, logger: logger)
            address = ListenAddress(host: address.host, port: ports.api)
            peerAddress = peerAddress.map { ListenAddress(host: $0.host, port: ports.peer ?? $0.port) }
            createsRootToken = false
            guard let next = replacement.replacement else { break }
            logger.notice("node: moving to a new key", metadata: ["change": "\(next)"])
            try directory.stageReplacement(secret: next.secret, chain: next.chain)
            directory = try directory.completeReplacement()
            logger.notice("node: new key installed; starting again", metadata: ["member": "\(directory.secret.path)"])
        }
        logger.info("node stopped")
    }
}

extension ServeCommand {
    /// Runs the node's services on `directory` until a signal or a new key stops them; returns the
    /// ports the API and the peer listener bound (the ones chosen for port 0), so a restart keeps them.
    private func runNode(
        _ directory: NodeDataDirectory, settings: ServeSettings, address: ListenAddress, peerAddress: ListenAddress?, tls: NodeTLS?,
        registry: PrometheusCollectorRegistry, createsRootToken: Bool, temporary: String?, replacement: NodeKeyReplacement,
        logger: Logger
    ) async throws -> (api: Int, peer: Int?) {
        let audit = NodeAudit(sink: try AuditLogFile(path: directory.auditLogPath, signer: directory.keys), node: directory.keys)
        let database = try NodeDatabase(path: directory.databasePath, node: directory.keys)
        let keyrings = SealedKeyringStore(database: database)
        for keyring in try ClusterRekeys.rotateKeyringsIntoTree(try keyrings.references(), owner: directory.secret, in: keyrings) {
            logger.notice(
                "node: keyring rotated into the new tree", metadata: ["keyring": "\(keyring.name)", "epoch": "\(keyring.activeEpoch)"])
        }
        // The etcd endpoints given, else those of the enrollment bundle (DIR/cluster.json).
        let etcdEndpoints = try settings.etcd ?? settings.data.flatMap(Self.enrolledEndpoints)
        let membership = try etcdEndpoints.map { endpoints in
            try ClusterMembership(
                etcd: try EtcdClient(endpoints: endpoints), secret: directory.secret, chain: directory.chain,
                addresses: [try Self.advertisedAddress(settings, listening: address)], store: DatabaseClusterStateStore(database: database),
                keyrings: keyrings, logger: logger,
                onRekey: { instruction in Self.carryOut(instruction, directory: directory, replacement: replacement, logger: logger) })
        }
        // The end-to-end encrypted applications' data on PostgreSQL (--e2ee-database), else in the
        // node's SQLite. The store is a service: it opens its pool and migrates at start, closes at stop.
        let postgres = settings.e2eeDatabase.map { PostgresE2EEStore(configuration: $0.configuration, logger: logger) }
        if let database = settings.e2eeDatabase {
            logger.notice("node: E2EE data in PostgreSQL", metadata: ["database": "\(database)"])
        }
        let node = Node(
            database: database, owner: directory.secret, limits: settings.limits, metricsRegistry: registry, audit: audit,
            identity: try directory.signingIdentity, cluster: membership, keyReplacement: replacement,
            e2eeStore: try postgres.map { $0 as any E2EEStore } ?? SQLiteE2EEStore(directory: directory.path))
        let chosen = settings.devRootToken.map { TokenSecret(SecretBytes(copying: Array($0.utf8))) }
        let rootToken = createsRootToken ? try await node.tokens.createRoot(chosen: chosen) : nil
        let scheme = tls == nil ? "http" : "https"
        let boundPort = Mutex(address.port)
        let application = try NodeApplication.make(node: node, host: address.host, port: address.port, tls: tls, logger: logger) {
            host, port in
            boundPort.withLock { $0 = port }
            let url = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            var lines = ["Listening on \(url)"]
            if let rootToken, let temporary {
                let token = rootToken.reveal()
                lines += [
                    "Development node \(NodeDataDirectory.developmentPath) in \(temporary) (removed at exit; nothing here is for real keys)",
                    "Root token: \(token)",
                    "Try: curl -H 'X-Arbor-Token: \(token)' \(url)/v1/auth/token/lookup-self",
                ]
            }
            // Unbuffered, so a supervisor or a test reading the pipe sees the address at once.
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        // A shared list of branches, agreed through etcd and rebalanced as members come and go.
        let ownership = membership.flatMap { membership in
            settings.branches.map { count in
                BranchOwnership(
                    membership: membership, etcd: membership.etcd, secret: directory.secret, chain: directory.chain,
                    branches: BranchOwnership.branchIDs(count: count), logger: logger) as any Service
            }
        }
        let boundPeerPort = Mutex<Int?>(nil)
        let peers =
            try peerAddress.map {
                try Self.peerServices(directory, at: $0, membership: membership, logger: logger) { port in
                    boundPeerPort.withLock { $0 = port }
                }
            } ?? []
        try await NodeApplication.runUntilSignalled(
            application, node: node, services: (membership.map { [$0 as any Service] } ?? []) + (ownership.map { [$0] } ?? []) + peers,
            dependencies: postgres.map { [$0] } ?? [],
            logger: logger)
        return (boundPort.withLock { $0 }, boundPeerPort.withLock { $0 })
    }

    /// A verified rekey instruction for this node: the new key is opened with the current one and
    /// handed over; a failure leaves the node on its key (and the instruction waits for the next start).
    static func carryOut(
        _ instruction: RekeyInstruction, directory: NodeDataDirectory, replacement: NodeKeyReplacement, logger: Logger
    ) {
        do {
            let next = try ClusterRekeys.open(instruction, with: directory.secret)
            replacement.request(next.secret, chain: next.chain, reason: "rekey ordered through the cluster")
        } catch {
            logger.error("cluster: the rekey instruction for this node could not be carried out", metadata: ["error": "\(error)"])
        }
    }

    /// The node-to-node listener: mutual TLS 1.3 with the node's key, peers of its own cluster
    /// only. The revocations it checks are those the cluster membership applies (none without
    /// --etcd but the node's own chain's).
    static func peerServices(
        _ directory: NodeDataDirectory, at address: ListenAddress, membership: ClusterMembership?, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> [any Service] {
        let anchor = try TrustAnchor(name: "this cluster", rootCertificate: directory.chain.root)
        let trust = PeerTrustState(PeerTrust(anchor: anchor))
        let tls = try PeerTLS(
            keys: directory.keys, chain: directory.chain, trust: trust,
            onRefused: { logger.warning("peer refused at the handshake", metadata: ["reason": "\($0.message)"]) })
        let listener = PeerApplication.make(tls: tls, host: address.host, port: address.port, logger: logger) { host, port in
            onBound(port)
            let url = "https://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            FileHandle.standardOutput.write(Data("Peers on \(url) (mutual TLS 1.3, nodes of this cluster)\n".utf8))
        }
        guard let membership else { return [listener] }
        return [PeerRevocationFeed(membership: membership, trust: trust, tls: tls), listener]
    }

    /// The etcd endpoints an enrollment bundle gave the node, or nil when it was not enrolled
    /// (or was given none).
    static func enrolledEndpoints(_ directory: String) throws -> [String]? {
        guard FileManager.default.fileExists(atPath: directory + "/" + NodeClusterSettings.fileName) else { return nil }
        let endpoints = try NodeClusterSettings.read(from: directory).etcd
        return endpoints.isEmpty ? nil : endpoints
    }

    /// The address a member publishes: `--advertise`, else the address it listens on (which must
    /// then name a port: port 0 is chosen at bind time, too late for the record, except after
    /// enroll mode, which hands over the port it was given).
    static func advertisedAddress(_ settings: ServeSettings, listening address: ListenAddress) throws -> String {
        if let advertise = settings.advertise { return advertise }
        guard address.port != 0 else {
            throw ArborError(.invalidArgument, "--etcd with --listen on port 0 needs --advertise HOST:PORT")
        }
        return address.host.contains(":") ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)"
    }
}

/// `arbor serve`'s limit flags (`limits.…` in the config file, `ARBOR_LIMITS_…` in the environment).
struct ServeLimitOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The largest JSON body (default 1048576).", valueName: "bytes"))
    var jsonBodyBytes: Int?

    @Option(name: .long, help: ArgumentHelp("The most random bytes in one answer (default 65536).", valueName: "bytes"))
    var randomBytes: Int?

    @Option(name: .long, help: ArgumentHelp("The most items in a batch, 1 to 1000 (default 1000).", valueName: "count"))
    var batchItems: Int?

    @Option(name: .long, help: ArgumentHelp("Close a connection silent this long (default 60).", valueName: "seconds"))
    var idleTimeoutSeconds: Int?

    @Option(name: .long, help: ArgumentHelp("The most bytes of request headers; more is 431 (default 32768).", valueName: "bytes"))
    var headerBytes: Int?

    @Option(name: .long, help: ArgumentHelp("Requests per second per token; 0 or unset: no limit.", valueName: "rate"))
    var requestsPerSecond: Double?

    @Option(name: .long, help: ArgumentHelp("Requests a token may make at once (default: a second's worth).", valueName: "count"))
    var requestBurst: Int?

    @Option(name: .long, help: ArgumentHelp("Failed authentications per second per address (default 1; 0: no limit).", valueName: "rate"))
    var failedAuthPerSecond: Double?

    @Option(name: .long, help: ArgumentHelp("Failed authentications an address may make at once (default 20).", valueName: "count"))
    var failedAuthBurst: Int?
}

/// `arbor serve init`: a data directory from a node key and its chain, and the root token.
struct ServeInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up a node's data directory and print its root token (once).",
        usage: "arbor serve init --data <dir> --key <file> --chain <file> [--key-passphrase-file <file>] [--json]",
        discussion: """
            Copies the node key (0600) and its certificate chain into the directory given by --data (created 0700; \
            it must not exist or be empty), creates the database, and prints the initial root token. Only its hash \
            is stored: keep the token safe, as it is never shown again. Then run 'arbor serve --data DIR'.
            """
    )

    /// `--data` belongs to `serve`; `init` reads it from there (`arbor serve init --data DIR`).
    @ParentCommand var serve: ServeCommand

    @Option(name: .nodeKey, help: ArgumentHelp("The node's key file (from 'arbor derive').", valueName: "file"))
    var nodeKey: String

    @Option(name: .chain, help: ArgumentHelp("The certificate chain of the node key.", valueName: "file"))
    var chain: String

    @OptionGroup var keyPassphrase: KeyPassphraseOptions
    @OptionGroup var output: OutputOptions

    /// What `serve init --json` prints.
    struct Summary: Encodable {
        let dataDirectory: String
        let node: String
        let keyID: String
        let rootToken: String
    }

    func run() async throws {
        guard let data = serve.data, !serve.dev else {
            throw ArborError(.invalidArgument, "arbor serve init needs --data DIR, the new data directory (and no --dev)")
        }
        let secret = try readNodeKey(nodeKey, passphrase: keyPassphrase.source)
        let chain = try readChain(chain)
        let directory = try NodeDataDirectory.initialize(at: data, secret: secret, chain: chain)
        let node = Node(database: try NodeDatabase(path: directory.databasePath, node: directory.keys), owner: directory.secret)
        let token = try await node.tokens.createRoot()
        let summary = Summary(
            dataDirectory: data, node: secret.path.description, keyID: directory.keys.keyID.hex, rootToken: token.reveal())
        try output.emit(
            summary,
            human: """
                Data directory \(data) ready for node \(secret.path) (key \(directory.keys.keyID.shortHex)).
                Root token (shown once, only its hash is kept): \(summary.rootToken)
                Run: arbor serve --data \(data)
                """)
    }
}
