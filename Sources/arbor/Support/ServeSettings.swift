import ArborCore
import ArborPostgres
import ArborServer
import Configuration
import Foundation
import Logging
import SystemPackage

/// `arbor serve`'s settings. Each comes from the first of: its flag, its environment variable
/// (`ARBOR_` and the key in capitals, `tls.cert` as `ARBOR_TLS_CERT`), the JSON config file
/// (`--config FILE` or `ARBOR_CONFIG`), its default. Secrets (the dev root token) are never read
/// from the file. An unknown key in the file, or a value of the wrong type anywhere, is an
/// `invalidArgument` that names the key and where it came from.
struct ServeSettings {
    var listen: ListenAddress
    var data: String?
    var logLevel: Logger.Level
    var tlsCertificate: String?
    var tlsKey: String?
    var tlsMinimumVersion: NodeTLS.MinimumVersion
    var limits: NodeLimits
    var devRootToken: String?
    /// The node-to-node listener (mutual TLS 1.3; docs/cluster.md, "Channels between nodes").
    var peerAddress: ListenAddress?
    /// The etcd endpoints of the cluster to join (`--etcd`, comma-separated); nil: no cluster.
    var etcd: [String]?
    /// The `host:port` published in the node's member record (`--advertise`; default the listen address).
    var advertise: String?
    /// How many seed-tree branches the members share by rendezvous hashing (`--branches`; with
    /// `--etcd`; every member the same number); nil: the node takes no part.
    var branches: Int?
    /// The PostgreSQL database of the end-to-end encrypted applications' data (`--e2ee-database`,
    /// docs/server.md); nil: SQLite in the data directory.
    var e2eeDatabase: PostgresDatabaseURL?

    /// Every setting: its key in the file (dots are nesting), whence its flag and variable names.
    enum Key: String, CaseIterable {
        case listen
        case data
        case logLevel = "log_level"
        case tlsCert = "tls.cert"
        case tlsKey = "tls.key"
        case tlsMinVersion = "tls.min_version"
        case jsonBodyBytes = "limits.json_body_bytes"
        case randomBytes = "limits.random_bytes"
        case batchItems = "limits.batch_items"
        case idleTimeoutSeconds = "limits.idle_timeout_seconds"
        case headerBytes = "limits.header_bytes"
        case requestsPerSecond = "limits.requests_per_second"
        case requestBurst = "limits.request_burst"
        case failedAuthPerSecond = "limits.failed_auth_per_second"
        case failedAuthBurst = "limits.failed_auth_burst"
        case peerAddress = "peer_address"
        case etcd
        case advertise
        case branches
        case e2eeDatabase = "e2ee_database"
        /// A secret: flag or environment only.
        case devRootToken = "dev_root_token"

        var components: [String] { rawValue.split(separator: ".").map(String.init) }
        var environmentVariable: String { "ARBOR_" + rawValue.uppercased().replacingOccurrences(of: ".", with: "_") }
        /// `--tls-cert`, `--json-body-bytes`: the key without `limits.`, in kebab case.
        var flag: String {
            "--" + components.drop { $0 == "limits" }.joined(separator: "-").replacingOccurrences(of: "_", with: "-")
        }
        var type: ConfigType {
            switch self {
            case .jsonBodyBytes, .randomBytes, .batchItems, .idleTimeoutSeconds, .headerBytes, .requestBurst, .failedAuthBurst, .branches:
                .int
            case .requestsPerSecond, .failedAuthPerSecond: .double
            default: .string
            }
        }
        var isSecret: Bool { self == .devRootToken }
        var typeName: String { type == .string ? "a string" : type == .int ? "an integer" : "a number" }
    }

    /// Resolves every setting. `flags` holds the flags given on the command line (strings, or
    /// numbers already parsed); `configFile` is `--config`, else `ARBOR_CONFIG` is used.
    static func resolve(
        flags: [Key: ConfigContent], configFile: String?, environment: [String: String]
    ) async throws -> ServeSettings {
        let sources = try await Sources(flags: flags, configFile: configFile ?? environment["ARBOR_CONFIG"], environment: environment)
        var limits = NodeLimits()
        func integer(_ key: Key, _ range: ClosedRange<Int>, _ set: (Int) -> Void) throws {
            guard let value = try sources.int(key) else { return }
            guard range.contains(value) else {
                throw ArborError(.invalidArgument, "\(sources.origin(of: key)) takes \(range.lowerBound) to \(range.upperBound)")
            }
            set(value)
        }
        try integer(.jsonBodyBytes, 1024...(1 << 30)) { limits.jsonBodyBytes = $0 }
        try integer(.randomBytes, 1...(1 << 20)) { limits.randomBytes = $0 }
        try integer(.batchItems, 1...limits.batchItems) { limits.batchItems = $0 }
        try integer(.idleTimeoutSeconds, 1...86400) { limits.idleTimeoutSeconds = Int64($0) }
        try integer(.headerBytes, 1024...(1 << 20)) { limits.headerBytes = $0 }
        limits.requestRate = try rate(sources, .requestsPerSecond, .requestBurst, default: limits.requestRate)
        limits.failedAuthenticationRate = try rate(
            sources, .failedAuthPerSecond, .failedAuthBurst, default: limits.failedAuthenticationRate)

        let listen = try sources.string(.listen) ?? "127.0.0.1:8200"
        let logLevelText = try sources.string(.logLevel) ?? Logger.Level.info.rawValue
        guard let logLevel = Logger.Level(rawValue: logLevelText) else {
            throw ArborError(
                .invalidArgument, "\(sources.origin(of: .logLevel)) takes trace, debug, info, notice, warning, error or critical")
        }
        let versionText = try sources.string(.tlsMinVersion) ?? NodeTLS.MinimumVersion.tls13.rawValue
        guard let tlsMinimumVersion = NodeTLS.MinimumVersion(rawValue: versionText) else {
            throw ArborError(.invalidArgument, "\(sources.origin(of: .tlsMinVersion)) takes 1.3 or 1.2")
        }
        let listenAddress = try Self.listenAddress(listen, origin: sources.origin(of: .listen))
        let etcd = try sources.string(.etcd).map { text in
            let endpoints = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !endpoints.isEmpty, endpoints.allSatisfy({ $0.hasPrefix("http://") || $0.hasPrefix("https://") }) else {
                throw ArborError(
                    .invalidArgument, "\(sources.origin(of: .etcd)) takes etcd URLs separated by commas (http://127.0.0.1:2379,…)")
            }
            return endpoints
        }
        var branches: Int?
        try integer(.branches, 1...65536) { branches = $0 }
        guard branches == nil || etcd != nil else {
            throw ArborError(
                .invalidArgument, "\(sources.origin(of: .branches)) needs --etcd: branches are assigned among the cluster's members")
        }
        let advertise = try sources.string(.advertise)
        if let advertise {
            guard (try? ListenAddress(parsing: advertise))?.port ?? 0 > 0 else {
                throw ArborError(.invalidArgument, "\(sources.origin(of: .advertise)) takes HOST:PORT with a port other nodes can reach")
            }
        }
        let e2eeDatabase = try sources.string(.e2eeDatabase).map { text in
            do {
                return try PostgresDatabaseURL(text)
            } catch let error as ArborError {
                // The message explains the form; it never repeats the URL, which may hold a password.
                throw ArborError(.invalidArgument, "\(sources.origin(of: .e2eeDatabase)): \(error.message)")
            }
        }
        return ServeSettings(
            listen: listenAddress, data: try sources.string(.data), logLevel: logLevel,
            tlsCertificate: try sources.string(.tlsCert), tlsKey: try sources.string(.tlsKey), tlsMinimumVersion: tlsMinimumVersion,
            limits: limits, devRootToken: try sources.string(.devRootToken),
            peerAddress: try sources.string(.peerAddress).map { try Self.listenAddress($0, origin: sources.origin(of: .peerAddress)) },
            etcd: etcd, advertise: advertise, branches: branches, e2eeDatabase: e2eeDatabase)
    }

    /// The address, or a refusal that names where it came from (flag, variable or file).
    private static func listenAddress(_ text: String, origin: String) throws -> ListenAddress {
        do {
            return try ListenAddress(parsing: text)
        } catch {
            throw ArborError(.invalidArgument, "\(origin) takes HOST:PORT (127.0.0.1:8200, [::1]:8200; port 0 picks a free one)")
        }
    }

    /// A rate and its burst; a rate of 0 turns the limit off.
    private static func rate(_ sources: Sources, _ perSecond: Key, _ burst: Key, default: RateLimit?) throws -> RateLimit? {
        let rate = try sources.double(perSecond)
        let burstValue = try sources.int(burst)
        if let rate, !(rate >= 0 && rate <= 1_000_000) {
            throw ArborError(.invalidArgument, "\(sources.origin(of: perSecond)) takes 0 (no limit) to 1000000")
        }
        if let burstValue, !(1...10_000_000).contains(burstValue) {
            throw ArborError(.invalidArgument, "\(sources.origin(of: burst)) takes 1 to 10000000")
        }
        if rate == 0 { return nil }
        guard let perSecondValue = rate ?? `default`?.perSecond else { return nil }
        // Without a burst of its own, a rate allows a second's worth of requests at once.
        let burstDefault = `default`?.burst ?? max(1, Int(perSecondValue.rounded(.up)))
        return RateLimit(perSecond: perSecondValue, burst: burstValue ?? burstDefault)
    }
}

extension ServeSettings {
    /// The three places a setting can come from, in order.
    struct Sources {
        let flags: [Key: ConfigContent]
        let environment: EnvironmentVariablesProvider
        let file: (path: String, provider: FileProvider<JSONSnapshot>)?

        init(flags: [Key: ConfigContent], configFile: String?, environment: [String: String]) async throws {
            self.flags = flags
            self.environment = EnvironmentVariablesProvider(
                environmentVariables: environment, secretsSpecifier: .specific([Key.devRootToken.environmentVariable]))
            guard let configFile else {
                file = nil
                return
            }
            try Self.check(configFile)
            do {
                file = (configFile, try await FileProvider<JSONSnapshot>(filePath: FilePath(configFile)))
            } catch {
                throw ArborError(.invalidArgument, "the config file \(configFile) cannot be read: \(error)")
            }
        }

        /// Where the value of `key` came from, for messages: its flag, its variable or the file.
        func origin(of key: Key) -> String {
            if flags[key] != nil { return key.flag }
            if (try? environment.value(forKey: AbsoluteConfigKey(["arbor"] + key.components), type: .string).value) != nil {
                return key.environmentVariable
            }
            if let file { return "'\(key.rawValue)' in \(file.path)" }
            return key.flag
        }

        func string(_ key: Key) throws -> String? {
            guard case .string(let value)? = try content(key) else { return nil }
            return value
        }

        func int(_ key: Key) throws -> Int? {
            guard case .int(let value)? = try content(key) else { return nil }
            return value
        }

        func double(_ key: Key) throws -> Double? {
            switch try content(key) {
            case .double(let value)?: value
            case .int(let value)?: Double(value)
            default: nil
            }
        }

        /// The first of flag, environment and file that has `key`, as the key's type.
        private func content(_ key: Key) throws -> ConfigContent? {
            if let flag = flags[key] { return flag }
            do {
                if let value = try environment.value(forKey: AbsoluteConfigKey(["arbor"] + key.components), type: key.type).value {
                    return value.content
                }
            } catch {
                throw ArborError(.invalidArgument, "\(key.environmentVariable) must be \(key.typeName)")
            }
            guard let file, !key.isSecret else { return nil }
            do {
                return try file.provider.value(forKey: AbsoluteConfigKey(key.components), type: key.type).value?.content
            } catch {
                throw ArborError(.invalidArgument, "'\(key.rawValue)' in the config file \(file.path) must be \(key.typeName)")
            }
        }

        /// Refuses a file that is not a JSON object, has a key Arbor does not know (a typo would
        /// otherwise be ignored in silence), holds a secret, or has a value of the wrong type.
        static func check(_ path: String) throws {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ArborError(.invalidArgument, "the config file \(path) cannot be read")
            }
            guard case .object(let object)? = try? JSONDecoder().decode(FileValue.self, from: data) else {
                throw ArborError(.invalidArgument, "the config file \(path) is not a JSON object")
            }
            try check(object, prefix: [], path: path)
        }

        private static func check(_ object: [String: FileValue], prefix: [String], path: String) throws {
            let known = Set(Key.allCases.filter { !$0.isSecret }.map(\.rawValue))
            for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                let dotted = (prefix + [name]).joined(separator: ".")
                if known.contains(where: { $0.hasPrefix(dotted + ".") }) {
                    guard case .object(let nested) = value else {
                        throw ArborError(.invalidArgument, "'\(dotted)' in the config file \(path) must be an object")
                    }
                    try check(nested, prefix: prefix + [name], path: path)
                    continue
                }
                guard let key = Key(rawValue: dotted) else {
                    throw ArborError(.invalidArgument, "unknown key '\(dotted)' in the config file \(path)")
                }
                guard !key.isSecret else {
                    throw ArborError(
                        .invalidArgument,
                        "'\(dotted)' in the config file \(path): secrets are not read from the config file; use \(key.flag) or \(key.environmentVariable)"
                    )
                }
                guard value.matches(key.type) else {
                    throw ArborError(.invalidArgument, "'\(dotted)' in the config file \(path) must be \(key.typeName)")
                }
            }
        }
    }

    /// A JSON value as the file holds it, to tell its types apart strictly: `true` is not a
    /// number, `2.5` is not an integer, `"8080"` is not a number.
    enum FileValue: Decodable {
        case string(String)
        case bool(Bool)
        case integer(Int)
        case number(Double)
        case object([String: FileValue])
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int.self) {
                self = .integer(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode([String: FileValue].self) {
                self = .object(value)
            } else {
                self = .other
            }
        }

        func matches(_ type: ConfigType) -> Bool {
            switch (self, type) {
            case (.string, .string), (.integer, .int), (.integer, .double), (.number, .double): true
            default: false
            }
        }
    }
}
