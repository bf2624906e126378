import ArborCore
import Logging
import ServiceLifecycle

/// Signs the audit chain's head every `interval` and once more at graceful shutdown, after the
/// HTTP service has finished its requests (it runs first in the service group, so it stops last).
struct AuditHeadService: Service {
    let audit: NodeAudit
    let clock: NodeClock
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // Graceful shutdown cancels the sleep at once; the final head is signed after the loop.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await sign("periodic")
            }
        }
        await sign("shutdown")
    }

    private func sign(_ reason: String) async {
        do {
            if let head = try await audit.sink.signHead(time: clock.nowMilliseconds()) {
                logger.info("audit head signed", metadata: ["audit.sequence": "\(head.sequence)", "reason": "\(reason)"])
            }
        } catch {
            logger.critical("the audit head cannot be signed", metadata: ["error": "\(error)"])
        }
    }
}
