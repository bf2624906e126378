import ArborCore

/// Lets one bundle through: the first that opens and installs ends enroll mode; every later one
/// finds the one-time key gone. Pushes that arrive together are taken one at a time.
actor EnrollmentGate {
    private var directory: EnrollmentDirectory?
    private var installing = false
    private let clock: NodeClock
    private let done: AsyncStream<EnrolledNode>.Continuation
    /// Yields the enrolled node once, then finishes.
    nonisolated let enrolled: AsyncStream<EnrolledNode>

    init(directory: EnrollmentDirectory, clock: NodeClock) {
        self.directory = directory
        self.clock = clock
        (enrolled, done) = AsyncStream.makeStream(of: EnrolledNode.self, bufferingPolicy: .bufferingNewest(1))
    }

    func install(_ file: [UInt8]) async throws -> EnrolledNode {
        guard let directory else {
            throw ArborError(.noMatchingKey, "this node is enrolled already: its one-time key is gone, and a bundle opens once")
        }
        guard !installing else { throw ArborError(.conflict, "another bundle is being installed; try again in a moment") }
        installing = true
        defer { installing = false }
        let node = try await directory.install(bundle: file, clock: clock)
        self.directory = nil
        done.yield(node)
        done.finish()
        return node
    }

    /// Enroll mode ends without a bundle (the node was stopped).
    func stop() { done.finish() }
}
