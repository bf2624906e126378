import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL (Debian's postgresql package, or the binaries `ARBOR_POSTGRES_BIN` names)
/// for a suite: a throwaway cluster made by initdb in a temporary directory, postgres on a free
/// loopback port with trust authentication, stopped (fast shutdown) and deleted at the end. Each
/// test takes a fresh database of its own (`createDatabase`).
///
/// PostgreSQL refuses to run as root; under root (as in CI) the cluster belongs to the `postgres`
/// system user the package creates, and initdb and postgres run as that user (setpriv).
public final class PostgresServer: Sendable {
    /// The directory of initdb and postgres: `ARBOR_POSTGRES_BIN`, else the newest
    /// /usr/lib/postgresql/N/bin.
    public static var binaries: String {
        if let given = ProcessInfo.processInfo.environment["ARBOR_POSTGRES_BIN"] { return given }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let newest = versions.compactMap(Int.init).max().map(String.init) ?? "15"
        return "/usr/lib/postgresql/\(newest)/bin"
    }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binaries + "/postgres") }

    public let port: Int
    public let user = "arbor"
    private let directory: URL
    private let process: Mutex<Process?>
    private let databases = Mutex(0)

    /// A started server, or nil when PostgreSQL is not installed: the test is then skipped with
    /// a printed reason that names `what`, or fails under ARBOR_REQUIRE_PEERS=1.
    public static func startIfInstalled(for what: String) throws -> PostgresServer? {
        guard isInstalled else {
            Peers.missing(
                "\(what): PostgreSQL is not installed at \(binaries) (scripts/test installs it: apt-get install -y postgresql; "
                    + "or set ARBOR_POSTGRES_BIN to a directory with initdb and postgres)")
            return nil
        }
        return try start()
    }

    /// Makes the cluster and starts postgres; a port taken between choosing it and binding it
    /// means another try.
    public static func start() throws -> PostgresServer {
        var lastError: any Error = PostgresServerError("postgres did not start")
        for _ in 0..<3 {
            let server = try PostgresServer()
            do {
                try server.waitUntilReady()
                return server
            } catch {
                lastError = error
                server.stop()
            }
        }
        throw lastError
    }

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-postgres-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            try FileManager.default.setAttributes(
                [.ownerAccountName: "postgres", .groupOwnerAccountName: "postgres"], ofItemAtPath: directory.path)
        }
        port = try EtcdServer.freeLoopbackPort()
        let data = directory.appendingPathComponent("data").path
        try Self.run(
            "initdb", ["-D", data, "-U", user, "--auth=trust", "--encoding=UTF8", "--no-sync", "--no-instructions"],
            log: directory.appendingPathComponent("initdb.log"))
        let process = Process()
        (process.executableURL, process.arguments) = Self.command(
            "postgres",
            [
                "-D", data, "-p", "\(port)", "-k", directory.path, "-c", "listen_addresses=127.0.0.1",
                // A test cluster: nothing here must survive a crash.
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ])
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: Self.emptyFile(directory.appendingPathComponent("postgres.log")))
        try process.run()
        self.process = Mutex(process)
    }

    /// `postgres://arbor@127.0.0.1:PORT/NAME` without TLS.
    public func url(database: String) -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// A new empty database, for one test.
    public func createDatabase() throws -> String {
        let name = "arbor_test_\(databases.withLock { $0 += 1; return $0 })"
        try Self.run(
            "createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, name], log: directory.appendingPathComponent("createdb.log"))
        return name
    }

    /// What psql prints for `sql` in `database` (unaligned, tuples only), as the test user.
    public func query(_ sql: String, in database: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaries + "/psql")
        process.arguments = ["-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PostgresServerError("psql failed (exit \(process.terminationStatus))") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `pg_dump` of `database`, plain SQL (bytea as hex): what a stolen copy of it holds.
    public func dump(_ database: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaries + "/pg_dump")
        process.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "--no-owner", database]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PostgresServerError("pg_dump failed (exit \(process.terminationStatus))") }
        return [UInt8](data)
    }

    /// Until pg_isready says the server accepts connections.
    private func waitUntilReady() throws {
        for _ in 0..<300 {
            guard process.withLock({ $0?.isRunning ?? false }) else {
                throw PostgresServerError("postgres exited at start: \(logTail("postgres.log"))")
            }
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: Self.binaries + "/pg_isready")
            probe.arguments = ["-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", user]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            try probe.run()
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return }
            usleep(100_000)
        }
        throw PostgresServerError("postgres did not accept connections on 127.0.0.1:\(port): \(logTail("postgres.log"))")
    }

    /// Stops postgres (SIGINT: fast shutdown, clients disconnected) and deletes the cluster.
    public func stop() {
        process.withLock { process in
            if let process, process.isRunning {
                process.interrupt()
                process.waitUntilExit()
            }
            process = nil
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A tool of the PostgreSQL binaries, as the postgres user when this process is root.
    private static func command(_ tool: String, _ arguments: [String]) -> (URL, [String]) {
        let path = binaries + "/" + tool
        guard getuid() == 0 else { return (URL(fileURLWithPath: path), arguments) }
        return (
            URL(fileURLWithPath: "/usr/bin/setpriv"),
            ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", path] + arguments
        )
    }

    private static func run(_ tool: String, _ arguments: [String], log: URL) throws {
        let process = Process()
        (process.executableURL, process.arguments) = command(tool, arguments)
        process.standardInput = FileHandle.nullDevice
        let output = try FileHandle(forWritingTo: emptyFile(log))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        try output.close()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw PostgresServerError("\(tool) failed (exit \(process.terminationStatus)): \(text.suffix(2000))")
        }
    }

    private static func emptyFile(_ url: URL) throws -> URL {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw PostgresServerError("cannot create \(url.path)")
        }
        return url
    }

    private func logTail(_ name: String) -> String {
        let log = (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return String(log.suffix(2000))
    }
}

/// One PostgreSQL server for a whole suite (`@Suite(.postgresServer)`): started before its first
/// test when PostgreSQL is installed, stopped after its last. Tests reach it through
/// `PostgresServer.shared(for:)`.
public struct SharedPostgresServer: SuiteTrait, TestScoping {
    @TaskLocal static var current: PostgresServer?

    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard PostgresServer.isInstalled else { return try await function() }
        let server = try PostgresServer.start()
        defer { server.stop() }
        try await Self.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == SharedPostgresServer {
    public static var postgresServer: Self { SharedPostgresServer() }
}

extension PostgresServer {
    /// The suite's server (`.postgresServer`), or nil when PostgreSQL is not installed: the test is
    /// then skipped with a printed reason that names `what`, or fails under ARBOR_REQUIRE_PEERS=1.
    public static func shared(for what: String, sourceLocation: SourceLocation = #_sourceLocation) -> PostgresServer? {
        if let server = SharedPostgresServer.current { return server }
        Peers.missing(
            isInstalled
                ? "\(what): no PostgreSQL server for this suite (mark the suite with .postgresServer)"
                : "\(what): PostgreSQL is not installed at \(binaries) (scripts/test installs it: apt-get install -y postgresql; "
                    + "or set ARBOR_POSTGRES_BIN to a directory with initdb and postgres)",
            sourceLocation: sourceLocation)
        return nil
    }
}

public struct PostgresServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
