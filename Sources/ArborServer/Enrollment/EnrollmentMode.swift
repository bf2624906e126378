import ArborCore
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A node waiting for its bundle (`arbor serve --enroll`): an HTTP server with only the
/// enrollment routes, until a pushed bundle installs or the process is signalled.
public enum EnrollmentMode {
    /// Serves until a bundle is installed (returned) or SIGTERM / SIGINT (nil).
    /// - Parameter onRunning: called with the address once the server listens.
    public static func run(
        _ directory: EnrollmentDirectory, host: String, port: Int, clock: NodeClock = .system, logger: Logger,
        onRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
    ) async throws -> EnrolledNode? {
        let gate = EnrollmentGate(directory: directory, clock: clock)
        let application = Application(
            responder: ErrorEnvelopeResponder(wrapped: router(directory, gate: gate).buildResponder()),
            server: try NodeApplication.server(tls: nil, limits: NodeLimits()),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(host, channel.localAddress?.port ?? port) },
            logger: logger)
        let waiter = EnrollmentWaiter(gate: gate)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: application),
                    // Once the bundle is installed (its response sent), the server stops gracefully.
                    .init(service: waiter, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        return waiter.result.value
    }
}

extension EnrollmentMode {
    /// `/v1/sys/enroll` and nothing else.
    static func router(_ directory: EnrollmentDirectory, gate: EnrollmentGate) -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        EnrollmentModeRoutes(directory: directory, gate: gate).register(on: router.group("v1"))
        return router
    }

    /// The routes a node in enroll mode answers, for the check that the OpenAPI document lists them.
    public static func router(for directory: EnrollmentDirectory, clock: NodeClock = .system) -> Router<NodeRequestContext> {
        router(directory, gate: EnrollmentGate(directory: directory, clock: clock))
    }

    /// The enroll-mode routes behind the error envelope, without a listener: for tests through the
    /// real router (HummingbirdTesting).
    static func application(_ directory: EnrollmentDirectory, clock: NodeClock, logger: Logger) -> some ApplicationProtocol {
        let gate = EnrollmentGate(directory: directory, clock: clock)
        return Application(responder: ErrorEnvelopeResponder(wrapped: router(directory, gate: gate).buildResponder()), logger: logger)
    }
}

/// Waits for the gate's one enrolled node, or for shutdown.
struct EnrollmentWaiter: Service {
    let gate: EnrollmentGate
    let result = ResultBox()

    final class ResultBox: Sendable {
        private let box = Mutex<EnrolledNode?>(nil)
        var value: EnrolledNode? { box.withLock { $0 } }
        func set(_ node: EnrolledNode) { box.withLock { $0 = node } }
    }

    func run() async throws {
        for await node in gate.enrolled.cancelOnGracefulShutdown() {
            result.set(node)
            return
        }
    }
}
