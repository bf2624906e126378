import ArborCore
import ArborOperations
import ArborServer
import ArborTestSupport
import Foundation
import Logging
import ServiceLifecycle

/// A real node listening on a free port of 127.0.0.1, in this process, with the end-to-end
/// encrypted applications' store of the given kind: the SDK talks to it over HTTP as it would to
/// `arbor serve`. `backDoor` reaches the node's database behind its back, as an operator or a thief
/// could.
final class E2EETestNode: Sendable {
    let kind: E2EEStoreKind
    let directory: String
    let url: String
    let backDoor: any E2EEBackDoor
    /// Kept for the node's life: releasing it stops the store (PostgreSQL's pool).
    private let store: RunningE2EEStore
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(
        kind: E2EEStoreKind, directory: String, url: String, backDoor: any E2EEBackDoor, store: RunningE2EEStore, group: ServiceGroup,
        task: Task<Void, any Error>
    ) {
        self.store = store
        self.kind = kind
        self.directory = directory
        self.url = url
        self.backDoor = backDoor
        self.group = group
        self.task = task
    }

    static func start(_ kind: E2EEStoreKind) async throws -> E2EETestNode {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-client-test-\(UUID().uuidString)").path
        let directory = try NodeDataDirectory.development(at: path, now: Int64(Date().timeIntervalSince1970))
        let database = try NodeDatabase(path: directory.databasePath, node: directory.keys)
        let store = try await kind.open(in: path)
        // Once the store answers, its schema is in place (PostgreSQL migrates as it starts), so a
        // test that reads the database's bytes first sees the schema's own words.
        _ = try await store.store.account(named: "readiness-probe")
        let node = Node(database: database, owner: directory.secret, identity: try directory.signingIdentity, e2eeStore: store.store)
        let logger = Logger(label: "arbor.client-test") { JSONLogHandler(label: $0, level: .critical) { _ in } }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = try NodeApplication.make(node: node, port: 0, logger: logger) { _, port in
            continuation.yield(port)
            continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            throw ArborError(.ioFailure, "the test node did not start")
        }
        return E2EETestNode(
            kind: kind, directory: path, url: "http://127.0.0.1:\(port)", backDoor: try kind.backDoor(in: path, store: store),
            store: store, group: group, task: task)
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
