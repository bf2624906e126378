import ArborCore
import ServiceLifecycle
import Synchronization

/// A new key for the running node (a rekey ordered through the cluster, or a self-rekey asked for
/// through the API), handed from whoever obtained it to the command that runs the node.
///
/// As a service in the node's group it returns once a key is requested, and the group is set up
/// to shut down gracefully when it does: requests under way finish, the membership leaves, and
/// `arbor serve` installs the key in its data directory and starts its services again on it.
public final class NodeKeyReplacement: Service, Sendable {
    /// The key to move to, and why (for the log).
    public struct Replacement: Sendable, CustomStringConvertible {
        public let secret: NodeSecret
        public let chain: CertificateChain
        public let reason: String

        public var description: String { "\(reason): to \(chain.leaf.path) epoch \(chain.leaf.epoch) (key \(chain.leaf.keyID.shortHex))" }
    }

    private struct State {
        var requested: Replacement?
        /// Set when the group stopped for another reason (a signal): a later request is refused,
        /// so that a stop is never turned into a restart.
        var closed = false
    }

    private let state = Mutex(State())
    private let signal: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init() {
        (signal, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The key requested, once the group has stopped for it.
    public var replacement: Replacement? { state.withLock { $0.requested } }

    /// Asks the node to move to this key; the first request wins (`false` for a later one, and
    /// for any once the node is stopping).
    @discardableResult
    public func request(_ secret: NodeSecret, chain: CertificateChain, reason: String) -> Bool {
        let accepted = state.withLock { state in
            guard state.requested == nil, !state.closed else { return false }
            state.requested = Replacement(secret: secret, chain: chain, reason: reason)
            return true
        }
        if accepted { continuation.yield() }
        return accepted
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.signal { break }
        }
        state.withLock { $0.closed = true }
    }
}
