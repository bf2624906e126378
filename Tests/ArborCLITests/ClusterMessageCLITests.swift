import ArborTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `arbor cluster send` and `arbor cluster receive` through the real executable and a real etcd:
/// two nodes' data directories, a message sent while the recipient is not running, opened once.
@Suite("arbor cluster send/receive", .serialized)
struct ClusterMessageCLITests {
    @Test("a message to an offline node waits in etcd, opens once with a prekey, and is not delivered twice")
    func sendAndReceive() async throws {
        guard FileManager.default.isExecutableFile(atPath: LocalEtcd.executable) else {
            return Peers.missing("cluster CLI tests: \(LocalEtcd.executable) is not installed (apt-get install -y etcd-server)")
        }
        let arbor = try ArborExecutable()
        defer { arbor.remove() }
        try arbor.initRoot()
        for (name, path) in [("a", "eu/node-1"), ("b", "eu/node-2")] {
            for arguments in [
                ["derive", path, "--root", "root.key", "--passphrase-file", "pass", "-o", "\(name).key"],
                ["cert", "issue", path, "--root", "root.key", "--passphrase-file", "pass", "-o", "\(name).chain"],
                ["serve", "init", "--data", "data-\(name)", "--key", "\(name).key", "--chain", "\(name).chain"],
            ] {
                let outcome = try arbor.run(arguments)
                try #require(outcome.status == 0, "\(arguments): \(outcome.stderr)")
            }
        }
        try FileManager.default.createDirectory(atPath: arbor.path("inbox"), withIntermediateDirectories: true)
        try Data("meet at the usual place".utf8).write(to: URL(fileURLWithPath: arbor.path("note.txt")))

        let etcd = try LocalEtcd()
        defer { etcd.stop() }
        let receive = ["cluster", "receive", "--data", "data-b", "--etcd", etcd.url, "-o", "inbox", "--json"]
        // The first receive publishes B's prekeys; etcd may take a moment to elect itself.
        var first = try arbor.run(receive)
        for _ in 0..<100 where first.status != 0 {
            try await Task.sleep(for: .milliseconds(100))
            first = try arbor.run(receive)
        }
        try #require(first.status == 0, "\(first.stderr)")
        let published = try #require(try arbor.json(first) as? [String: Any])
        #expect(published["published_prekeys"] as? Int == 32)
        #expect((published["opened"] as? [Any])?.isEmpty == true)

        // B is not running when A sends.
        let sent = try arbor.run(["cluster", "send", "--data", "data-a", "--etcd", etcd.url, "--to", "eu/node-2", "note.txt", "--json"])
        try #require(sent.status == 0, "\(sent.stderr)")
        let summary = try #require(try arbor.json(sent) as? [String: Any])
        #expect((summary["prekey_id"] as? Int ?? 0) >= 1 && summary["forward_secret"] as? Bool == true)
        #expect(!sent.stdout.contains("meet at"))

        let received = try arbor.run(receive)
        try #require(received.status == 0, "\(received.stderr)")
        let result = try #require(try arbor.json(received) as? [String: Any])
        let opened = try #require(result["opened"] as? [[String: Any]])
        #expect(opened.count == 1 && opened.first?["sender"] as? String == "eu/node-1")
        #expect(opened.first?["forward_secret"] as? Bool == true)
        #expect(result["published_prekeys"] as? Int == 0)
        let file = try #require(opened.first?["file"] as? String)
        #expect(try String(contentsOfFile: arbor.path(file), encoding: .utf8) == "meet at the usual place")
        #expect(!received.stdout.contains("meet at"))

        // Nothing is delivered twice.
        let again = try #require(try arbor.json(try arbor.run(receive)) as? [String: Any])
        #expect((again["opened"] as? [Any])?.isEmpty == true && (again["refused"] as? [Any])?.isEmpty == true)

        // A node that publishes no prekeys and is no member: nothing to seal to (exit 4).
        let nobody = try arbor.run(["cluster", "send", "--data", "data-a", "--etcd", etcd.url, "--to", "eu/node-9", "note.txt"])
        #expect(nobody.status == 4 && nobody.stderr.contains("nothing to seal to"), "\(nobody.stderr)")
    }
}

/// A one-member etcd on free loopback ports in a temporary directory, for one test (the cluster
/// tests' `EtcdServer` lives in their own target).
final class LocalEtcd {
    static let executable = ProcessInfo.processInfo.environment["ARBOR_ETCD"] ?? "/usr/bin/etcd"

    let url: String
    private let process = Process()
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-cli-etcd-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        url = "http://127.0.0.1:\(try Self.freeLoopbackPort())"
        let peer = "http://127.0.0.1:\(try Self.freeLoopbackPort())"
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = [
            "--name", "arbor-cli-test", "--data-dir", directory.appendingPathComponent("data").path,
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "arbor-cli-test=\(peer)",
            "--logger", "zap", "--log-outputs", directory.appendingPathComponent("etcd.log").path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A loopback port no one listens on now: bound to port 0 and closed again.
    static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ArborExecutable.SetupFailed(description: "socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw ArborExecutable.SetupFailed(description: "could not bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
