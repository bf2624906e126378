import ArborCluster
import ArborTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Three real etcd members forming one cluster on loopback ports of their own, for the fault
/// tests: a member can be killed mid-run and the others must carry on. Stopped and removed at the
/// end, like `EtcdServer`.
final class EtcdCluster {
    struct Member {
        let name: String
        let clientURL: String
        let peerURL: String
        let process: Process
    }

    private(set) var members: [Member] = []
    private let directory: URL

    var clientURLs: [String] { members.map(\.clientURL) }

    static func with(size: Int = 3, _ body: (EtcdCluster) async throws -> Void) async throws {
        guard FileManager.default.isExecutableFile(atPath: EtcdServer.executable) else {
            return Peers.missing(
                "etcd fault tests: \(EtcdServer.executable) is not installed (scripts/test installs it: apt-get install -y etcd-server)"
            )
        }
        let cluster = try EtcdCluster(size: size)
        do {
            try await cluster.waitUntilReady()
            try await body(cluster)
        } catch {
            cluster.stop()
            throw error
        }
        cluster.stop()
    }

    private init(size: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-etcd-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ports = try (0..<size).map { _ in (try EtcdServer.freeLoopbackPort(), try EtcdServer.freeLoopbackPort()) }
        let names = (0..<size).map { "member-\($0)" }
        let initialCluster = zip(names, ports).map { "\($0)=http://127.0.0.1:\($1.1)" }.joined(separator: ",")
        for (name, (clientPort, peerPort)) in zip(names, ports) {
            let clientURL = "http://127.0.0.1:\(clientPort)"
            let peerURL = "http://127.0.0.1:\(peerPort)"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: EtcdServer.executable)
            process.arguments = [
                "--name", name,
                "--data-dir", directory.appendingPathComponent(name).path,
                "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
                "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
                "--initial-cluster", initialCluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "arbor-fault-test",
                "--logger", "zap", "--log-outputs", directory.appendingPathComponent("\(name).log").path,
            ]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            members.append(Member(name: name, clientURL: clientURL, peerURL: peerURL, process: process))
        }
    }

    /// Until every member answers a read (the cluster has a leader and all have joined).
    private func waitUntilReady() async throws {
        for member in members {
            let client = try EtcdClient(endpoints: [member.clientURL], requestTimeout: .seconds(2))
            var ready = false
            for _ in 0..<300 where !ready {
                guard member.process.isRunning else { throw EtcdServerError("\(member.name) exited at start: \(logTail(member))") }
                ready = (try? await client.range(prefix: "arbor-test-readiness")) != nil
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard ready else { throw EtcdServerError("\(member.name) did not answer at \(member.clientURL): \(logTail(member))") }
        }
    }

    /// The index of the member that leads now: the one whose status names itself as the leader.
    func leader() async throws -> Int {
        struct Status: Decodable {
            struct Header: Decodable { let member_id: String }
            let header: Header
            let leader: String
        }
        for member in members where member.process.isRunning {
            var request = HTTPClientRequest(url: member.clientURL + "/v3/maintenance/status")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: "{}"))
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)),
                let body = try? await response.body.collect(upTo: 1 << 16),
                let status = try? JSONDecoder().decode(Status.self, from: Data(body.readableBytesView))
            else { continue }
            if status.header.member_id == status.leader { return members.firstIndex { $0.name == member.name }! }
        }
        throw EtcdServerError("no etcd member says it leads")
    }

    /// Kills a member at once (SIGKILL: no goodbye to its peers or clients).
    func kill(_ index: Int) {
        let process = members[index].process
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        for member in members where member.process.isRunning {
            member.process.terminate()
            member.process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func logTail(_ member: Member) -> String {
        let log = (try? String(contentsOf: directory.appendingPathComponent("\(member.name).log"), encoding: .utf8)) ?? ""
        return String(log.suffix(2000))
    }
}
