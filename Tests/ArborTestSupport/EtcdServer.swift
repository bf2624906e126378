import ArborCluster
import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real etcd (`/usr/bin/etcd`, Debian's etcd-server, or the binary `ARBOR_ETCD` names) for one
/// test: a fresh data directory in a temporary directory, client and peer listeners on free
/// loopback ports, stopped with SIGTERM and waited for at the end.
public final class EtcdServer {
    public static let executable = ProcessInfo.processInfo.environment["ARBOR_ETCD"] ?? "/usr/bin/etcd"

    public let clientURL: String
    private var process: Process
    private let directory: URL
    private let arguments: [String]

    /// Runs `body` with a started server, and stops it afterwards. When etcd is not installed, the
    /// test is skipped with a printed reason, or fails under ARBOR_REQUIRE_PEERS=1.
    public static func with(_ body: (EtcdServer) async throws -> Void) async throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            return Peers.missing(
                "etcd tests: \(executable) is not installed (scripts/test installs it: apt-get install -y etcd-server; "
                    + "or set ARBOR_ETCD to an etcd binary)"
            )
        }
        let server = try await start()
        do {
            try await body(server)
        } catch {
            server.stop()
            throw error
        }
        server.stop()
    }

    /// A started server for a test that manages its life itself (`stop()` at the end), or nil when
    /// etcd is not installed: the test is then skipped with a printed reason that names `what`, or
    /// fails under ARBOR_REQUIRE_PEERS=1.
    public static func startIfInstalled(for what: String) async throws -> EtcdServer? {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            Peers.missing("\(what): \(executable) is not installed (apt-get install -y etcd-server; or set ARBOR_ETCD to an etcd binary)")
            return nil
        }
        return try await start()
    }

    /// Starts etcd; a port taken between choosing it and etcd binding it means another try.
    public static func start() async throws -> EtcdServer {
        var lastError: any Error = EtcdServerError("etcd did not start")
        for _ in 0..<3 {
            let server = try EtcdServer()
            do {
                try await server.waitUntilReady()
                return server
            } catch {
                lastError = error
                server.stop()
            }
        }
        throw lastError
    }

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clientPort = try Self.freeLoopbackPort()
        let peerPort = try Self.freeLoopbackPort()
        clientURL = "http://127.0.0.1:\(clientPort)"
        let peerURL = "http://127.0.0.1:\(peerPort)"
        arguments = [
            "--name", "arbor-test",
            "--data-dir", directory.appendingPathComponent("data").path,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "arbor-test=\(peerURL)",
            "--logger", "zap", "--log-outputs", directory.appendingPathComponent("etcd.log").path,
        ]
        process = try Self.launch(arguments)
    }

    private static func launch(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Stops etcd (SIGTERM) and keeps its data, for `restart`: an outage.
    public func pause() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Starts etcd again on the same ports and data after `pause`, and waits until it answers.
    public func restart() async throws {
        process = try Self.launch(arguments)
        try await waitUntilReady()
    }

    /// Until a range read answers (etcd serves reads once it has elected itself leader).
    private func waitUntilReady() async throws {
        let client = try EtcdClient(endpoints: [clientURL], requestTimeout: .seconds(2))
        for _ in 0..<300 {
            guard process.isRunning else { throw EtcdServerError("etcd exited at start: \(logTail())") }
            if (try? await client.range(prefix: "arbor-test-readiness")) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EtcdServerError("etcd did not answer at \(clientURL): \(logTail())")
    }

    public func client() throws -> EtcdClient { try EtcdClient(endpoints: [clientURL]) }

    /// How many watches etcd is serving now, from its Prometheus metrics.
    public func openWatches() async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: clientURL + "/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        let prefix = "etcd_debugging_mvcc_watcher_total "
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }), let count = Int(line.dropFirst(prefix.count))
        else {
            throw EtcdServerError("etcd's /metrics has no \(prefix)gauge")
        }
        return count
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func logTail() -> String {
        let log = (try? String(contentsOf: directory.appendingPathComponent("etcd.log"), encoding: .utf8)) ?? ""
        return String(log.suffix(2000))
    }

    /// A loopback port no one listens on now: bound to port 0 and closed again.
    public static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw EtcdServerError("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw EtcdServerError("could not bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct EtcdServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
