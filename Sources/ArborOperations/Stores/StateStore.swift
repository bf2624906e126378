/// One small piece of durable state (a replay guard's memory), read and rewritten under exclusive
/// access, so two callers never both act on the same old state.
public protocol StateStore {
    /// Runs `body` with the state (nil when none exists yet) while holding exclusive access. If
    /// `body` returns normally with the state changed, the new state is durable before this returns;
    /// if it throws, nothing is written.
    func update<Result>(_ body: (inout [UInt8]?) throws -> Result) throws -> Result
}
