import ArborCore

/// Refuses a token seen before within the window, or dated outside it, remembering admitted
/// tokens in a ``StateStore`` across calls (one store per service).
public struct ReplayCheck {
    public let store: any StateStore
    public let windowMilliseconds: Int64
    public let now: Int64

    /// - Parameters:
    ///   - window: seconds a token's time may be from `now`, either way: 1 second to 31 days.
    ///   - now: Unix milliseconds; the caller reads the clock.
    public init(store: any StateStore, windowSeconds window: Int64, now: Int64) throws {
        try Self.checkWindow(window)
        self.store = store
        windowMilliseconds = window * 1000
        self.now = now
    }

    /// Refuses a window outside 1 second to 31 days.
    public static func checkWindow(_ seconds: Int64) throws {
        guard seconds > 0, seconds <= 31 * 86_400 else {
            throw ArborError(.invalidArgument, "--replay-window is between 1 second and 31 days")
        }
    }

    func admit(_ provenance: Provenance) throws {
        try store.update { state in
            var replayGuard =
                try state.map { try ReplayGuard(windowMilliseconds: windowMilliseconds, state: String(decoding: $0, as: UTF8.self)) }
                ?? ReplayGuard(windowMilliseconds: windowMilliseconds)
            try replayGuard.admit(provenance, now: now)
            state = Array(replayGuard.state.utf8)
        }
    }
}
