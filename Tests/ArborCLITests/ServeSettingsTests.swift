import ArborCore
import ArborPostgres
import ArborServer
import Configuration
import Foundation
import Logging
import Testing

@testable import arbor

/// `arbor serve`'s settings: flag over environment over config file over default; a config file
/// with an unknown key, a value of the wrong type or a secret is refused, naming the key and file.
@Suite("arbor serve settings")
struct ServeSettingsTests {
    /// A config file in a fresh directory.
    struct ConfigFile {
        let path: String

        init(_ json: String) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-settings-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("arbor.json").path
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        }

        func remove() { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    }

    static let file = """
        {"listen": "127.0.0.1:1001", "log_level": "debug",
         "tls": {"min_version": "1.2"},
         "limits": {"json_body_bytes": 2048, "batch_items": 10, "requests_per_second": 50, "failed_auth_burst": 7}}
        """

    @Test("each setting comes from its flag, else its ARBOR_ variable, else the file, else its default")
    func precedence() async throws {
        let file = try ConfigFile(Self.file)
        defer { file.remove() }
        let environment = ["ARBOR_LISTEN": "127.0.0.1:1002", "ARBOR_LIMITS_JSON_BODY_BYTES": "4096", "ARBOR_LIMITS_BATCH_ITEMS": "20"]
        let flags: [ServeSettings.Key: ConfigContent] = [.listen: .string("127.0.0.1:1003"), .batchItems: .int(30)]

        let all = try await ServeSettings.resolve(flags: flags, configFile: file.path, environment: environment)
        #expect(all.listen.port == 1003)
        #expect(all.limits.batchItems == 30)
        #expect(all.limits.jsonBodyBytes == 4096)
        #expect(all.logLevel == .debug)
        #expect(all.tlsMinimumVersion == .tls12)
        #expect(all.limits.requestRate == RateLimit(perSecond: 50, burst: 50))
        #expect(all.limits.failedAuthenticationRate == RateLimit(perSecond: 1, burst: 7))

        let noFlags = try await ServeSettings.resolve(flags: [:], configFile: file.path, environment: environment)
        #expect(noFlags.listen.port == 1002 && noFlags.limits.batchItems == 20)

        // The file named by ARBOR_CONFIG when there is no --config.
        let fileOnly = try await ServeSettings.resolve(flags: [:], configFile: nil, environment: ["ARBOR_CONFIG": file.path])
        #expect(fileOnly.listen.port == 1001 && fileOnly.limits.batchItems == 10 && fileOnly.limits.jsonBodyBytes == 2048)

        let defaults = try await ServeSettings.resolve(flags: [:], configFile: nil, environment: [:])
        #expect(defaults.listen == (try ListenAddress(parsing: "127.0.0.1:8200")))
        #expect(defaults.logLevel == .info && defaults.tlsMinimumVersion == .tls13 && defaults.data == nil)
        #expect(defaults.limits == NodeLimits())
    }

    @Test("a rate of 0 turns a limit off; the dev root token comes from the environment")
    func rateOffAndSecretFromEnvironment() async throws {
        let settings = try await ServeSettings.resolve(
            flags: [:], configFile: nil,
            environment: ["ARBOR_LIMITS_FAILED_AUTH_PER_SECOND": "0", "ARBOR_DEV_ROOT_TOKEN": "fixed", "ARBOR_DATA": "/srv/arbor"])
        #expect(settings.limits.failedAuthenticationRate == nil)
        #expect(settings.devRootToken == "fixed")
        #expect(settings.data == "/srv/arbor")
    }

    /// The message of the `invalidArgument` that resolving throws.
    func refusal(_ json: String?, environment: [String: String] = [:]) async throws -> (message: String, path: String) {
        let file = try json.map(ConfigFile.init)
        defer { file?.remove() }
        let error = await #expect(throws: ArborError.self) {
            try await ServeSettings.resolve(flags: [:], configFile: file?.path, environment: environment)
        }
        #expect(error?.code == .invalidArgument)
        return (error?.message ?? "", file?.path ?? "")
    }

    @Test("the cluster: etcd endpoints and the advertised address from the file, the environment or a flag")
    func cluster() async throws {
        let file = try ConfigFile(#"{"etcd": "http://127.0.0.1:2379, http://127.0.0.1:22379", "advertise": "10.0.0.7:8200"}"#)
        defer { file.remove() }
        let fromFile = try await ServeSettings.resolve(flags: [:], configFile: file.path, environment: [:])
        #expect(fromFile.etcd == ["http://127.0.0.1:2379", "http://127.0.0.1:22379"])
        #expect(try ServeCommand.advertisedAddress(fromFile, listening: fromFile.listen) == "10.0.0.7:8200")
        let fromEnvironment = try await ServeSettings.resolve(
            flags: [:], configFile: nil, environment: ["ARBOR_ETCD": "https://etcd:2379", "ARBOR_LISTEN": "[::1]:8300"])
        #expect(fromEnvironment.etcd == ["https://etcd:2379"])
        #expect(try ServeCommand.advertisedAddress(fromEnvironment, listening: fromEnvironment.listen) == "[::1]:8300")
        #expect(try await ServeSettings.resolve(flags: [:], configFile: nil, environment: [:]).etcd == nil)

        for (flags, named) in [
            ([ServeSettings.Key.etcd: ConfigContent.string("127.0.0.1:2379")], "--etcd"),
            ([.advertise: .string("10.0.0.7")], "--advertise"), ([.advertise: .string("10.0.0.7:0")], "--advertise"),
        ] {
            let error = await #expect(throws: ArborError.self) {
                try await ServeSettings.resolve(flags: flags, configFile: nil, environment: [:])
            }
            #expect(error?.code == .invalidArgument && error?.message.hasPrefix(named) == true, "\(String(describing: error))")
        }
        let portZero = try await ServeSettings.resolve(
            flags: [.etcd: .string("http://127.0.0.1:2379"), .listen: .string("127.0.0.1:0")], configFile: nil, environment: [:])
        #expect(throws: ArborError(.invalidArgument, "")) { try ServeCommand.advertisedAddress(portZero, listening: portZero.listen) }
    }

    @Test("the E2EE database: a postgres:// URL from the file, the environment or a flag; another is refused without echoing it")
    func e2eeDatabase() async throws {
        let file = try ConfigFile(#"{"e2ee_database": "postgres://arbor@db.internal/apps"}"#)
        defer { file.remove() }
        let fromFile = try #require(try await ServeSettings.resolve(flags: [:], configFile: file.path, environment: [:]).e2eeDatabase)
        #expect(fromFile.host == "db.internal" && fromFile.port == 5432 && fromFile.user == "arbor" && fromFile.database == "apps")
        let fromEnvironment = try #require(
            try await ServeSettings.resolve(
                flags: [:], configFile: nil,
                environment: ["ARBOR_E2EE_DATABASE": "postgresql://app:pa%2Fss@127.0.0.1:6432/e2ee?sslmode=require"]
            ).e2eeDatabase)
        #expect(fromEnvironment.port == 6432 && fromEnvironment.tlsMode == "require" && fromEnvironment.database == "e2ee")
        #expect(!"\(fromEnvironment)".contains("pa/ss") && !"\(fromEnvironment)".contains("pa%2Fss"), "\(fromEnvironment)")
        #expect(try await ServeSettings.resolve(flags: [:], configFile: nil, environment: [:]).e2eeDatabase == nil)

        for url in [
            "mysql://arbor:hunter2@db/apps", "postgres://db.internal/apps", "postgres://arbor:hunter2@db.internal/",
            "postgres://arbor:hunter2@db.internal/apps?sslmode=verify-full",
        ] {
            let error = await #expect(throws: ArborError.self) {
                try await ServeSettings.resolve(flags: [.e2eeDatabase: .string(url)], configFile: nil, environment: [:])
            }
            #expect(error?.code == .invalidArgument && error?.message.hasPrefix("--e2ee-database") == true, "\(String(describing: error))")
            #expect(error?.message.contains("hunter2") == false)
        }
    }

    @Test("an unknown key in the file is refused, naming the key and the file")
    func unknownKey() async throws {
        for (json, key) in [
            (#"{"limits": {"json_body_byte": 5}}"#, "limits.json_body_byte"), (#"{"listn": "127.0.0.1:1"}"#, "listn"),
            (#"{"tls": {"cert": "a", "ca": "b"}}"#, "tls.ca"),
        ] {
            let (message, path) = try await refusal(json)
            #expect(message.contains("unknown key '\(key)'") && message.contains(path), "\(message)")
        }
    }

    @Test("a value of the wrong type is refused, naming the key and where it came from")
    func wrongType() async throws {
        for (json, key, type) in [
            (#"{"listen": 8200}"#, "listen", "a string"), (#"{"limits": {"batch_items": true}}"#, "limits.batch_items", "an integer"),
            (#"{"limits": {"header_bytes": "8192"}}"#, "limits.header_bytes", "an integer"),
            (#"{"limits": {"idle_timeout_seconds": 2.5}}"#, "limits.idle_timeout_seconds", "an integer"),
            (#"{"limits": {"requests_per_second": "fast"}}"#, "limits.requests_per_second", "a number"),
            (#"{"tls": "yes"}"#, "tls", "an object"),
        ] {
            let (message, path) = try await refusal(json)
            #expect(message.contains("'\(key)'") && message.contains(path) && message.contains(type), "\(message)")
        }
        let (message, _) = try await refusal(nil, environment: ["ARBOR_LIMITS_BATCH_ITEMS": "many"])
        #expect(message == "ARBOR_LIMITS_BATCH_ITEMS must be an integer")
        let (range, path) = try await refusal(#"{"limits": {"batch_items": 5000}}"#)
        #expect(range.contains("'limits.batch_items' in \(path)") && range.contains("1 to 1000"), "\(range)")
    }

    @Test("secrets are never read from the config file; a file that is not a JSON object is refused")
    func secretsAndMalformed() async throws {
        let (secret, path) = try await refusal(#"{"dev_root_token": "s3cret"}"#)
        #expect(secret.contains("secrets are not read from the config file") && secret.contains(path))
        #expect(!secret.contains("s3cret"))
        let (malformed, malformedPath) = try await refusal("[1, 2]")
        #expect(malformed == "the config file \(malformedPath) is not a JSON object")
        let (missing, _) = try await refusal(nil, environment: ["ARBOR_CONFIG": "/nonexistent/arbor.json"])
        #expect(missing.contains("/nonexistent/arbor.json"))
    }

    @Test("a running node takes its limits from the config file: one request per 1000 s with burst 1 answers the second lookup 429")
    func runningNodeReadsTheFile() async throws {
        let arbor = try ArborExecutable()
        defer { arbor.remove() }
        let config = arbor.path("arbor.json")
        // A rate so low that no pause of a loaded machine between the two requests refills it.
        try Data(#"{"listen": "127.0.0.1:0", "limits": {"requests_per_second": 0.001, "request_burst": 1}}"#.utf8)
            .write(to: URL(fileURLWithPath: config))
        let node = try ServeCLITests.RunningNode(arbor, ["serve", "--dev", "--config", config], expectToken: true)
        let token = try #require(node.rootToken)
        #expect(node.url.hasPrefix("http://127.0.0.1:"))
        #expect(try await node.get("/v1/auth/token/lookup-self", token: token).status == 200)
        let refused = try await node.get("/v1/auth/token/lookup-self", token: token)
        #expect(refused.status == 429)
        #expect((refused.body["error"] as? [String: Any])?["code"] as? String == "rate_limited")
        #expect(node.terminate().status == 0)
    }

    @Test("arbor serve with a bad config file exits 2 and says which key of which file")
    func commandRefusesBadFile() throws {
        let arbor = try ArborExecutable()
        defer { arbor.remove() }
        try Data(#"{"limits": {"rate": 5}}"#.utf8).write(to: URL(fileURLWithPath: arbor.path("arbor.json")))
        let outcome = try arbor.run(["serve", "--dev", "--config", arbor.path("arbor.json")])
        #expect(outcome.status == 2)
        #expect(
            outcome.stderr.contains("unknown key 'limits.rate'") && outcome.stderr.contains(arbor.path("arbor.json")), "\(outcome.stderr)")
        let environment = try arbor.run(["serve", "--dev"], environment: ["ARBOR_LIMITS_HEADER_BYTES": "big"])
        #expect(environment.status == 2)
        #expect(environment.stderr.contains("ARBOR_LIMITS_HEADER_BYTES must be an integer"), "\(environment.stderr)")
    }
}
