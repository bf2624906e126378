import ArborCore

extension EtcdClient {
    /// Runs `operation` until it succeeds, retrying failures that may pass (an endpoint that went
    /// away, a request cut off, a cluster electing a new leader: `I/O failure`) with a growing
    /// pause, for at most `window`; then the last failure is thrown. Any other failure (a conflict,
    /// a malformed answer, a request etcd refuses) is thrown at once.
    ///
    /// Only for operations that are safe to run twice, because a request cut off after etcd applied
    /// it is sent again: reads, keep-alives, and transactions whose compares make a second run a
    /// no-op (create-if-absent, compare-and-swap on a revision). A plain `put` is not: a retry could
    /// overwrite a newer value written in between.
    public func retrying<Result: Sendable>(
        within window: Duration = .seconds(10),
        _ operation: (EtcdClient) async throws -> Result
    ) async throws -> Result {
        let clock = ContinuousClock()
        let deadline = clock.now + window
        var pause = Duration.milliseconds(25)
        while true {
            do {
                return try await operation(self)
            } catch let error as ArborError where error.code == .ioFailure && clock.now + pause < deadline {
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(500))
            }
        }
    }
}
