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
        guard let etcd = try await EtcdServer.startIfInstalled(for: "cluster CLI tests") else { return }
        defer { etcd.stop() }
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

        let receive = ["cluster", "receive", "--data", "data-b", "--etcd", etcd.clientURL, "-o", "inbox", "--json"]
        // The first receive publishes B's prekeys.
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
        let sent = try arbor.run([
            "cluster", "send", "--data", "data-a", "--etcd", etcd.clientURL, "--to", "eu/node-2", "note.txt", "--json",
        ])
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
        let nobody = try arbor.run(["cluster", "send", "--data", "data-a", "--etcd", etcd.clientURL, "--to", "eu/node-9", "note.txt"])
        #expect(nobody.status == 4 && nobody.stderr.contains("nothing to seal to"), "\(nobody.stderr)")
    }
}
