import ArborCluster
import ArborTestSupport
import Foundation
import Testing

/// A real etcd for the CLI tests that share a key through the cluster: the same start as
/// Tests/ArborClusterTests/EtcdServer.swift (free loopback ports, a fresh data directory, stopped
/// with SIGTERM), kept short since a test target cannot import another's fixture.
final class EtcdForCLI {
    static let executable = ProcessInfo.processInfo.environment["ARBOR_ETCD"] ?? "/usr/bin/etcd"

    let clientURL: String
    private let process = Process()
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-cli-etcd-\(UUID().uuidString)")

    /// Runs `body` with a started etcd; skipped (with the reason printed) when etcd is not installed.
    static func with(_ body: (EtcdForCLI) async throws -> Void) async throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            return Peers.missing("etcd CLI tests: \(executable) is not installed (apt-get install -y etcd-server, or set ARBOR_ETCD)")
        }
        let server = try EtcdForCLI()
        defer { server.stop() }
        try await server.waitUntilReady()
        try await body(server)
    }

    private init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clientPort = try Self.freePort()
        let peerURL = "http://127.0.0.1:\(try Self.freePort())"
        clientURL = "http://127.0.0.1:\(clientPort)"
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = [
            "--name", "arbor-cli", "--data-dir", directory.appendingPathComponent("data").path,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL, "--initial-cluster", "arbor-cli=\(peerURL)",
            "--logger", "zap", "--log-outputs", directory.appendingPathComponent("etcd.log").path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    private func waitUntilReady() async throws {
        let client = try EtcdClient(endpoints: [clientURL], requestTimeout: .seconds(2))
        for _ in 0..<300 {
            guard process.isRunning else { break }
            if (try? await client.range(prefix: "readiness")) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "etcd did not start at \(clientURL)"])
    }

    private func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A loopback port free now: a listener on port 0, closed again.
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
