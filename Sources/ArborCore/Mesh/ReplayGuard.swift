/// Rejects a mesh token whose provenance was seen before within a time window, or whose time lies
/// outside the window. Pure state: the caller supplies the clock and keeps one guard per process
/// (or shares its state). Feed it only tokens that have authenticated, so forgeries cannot fill it.
public struct ReplayGuard: Sendable {
    /// How far a token's time may be from now, in milliseconds, either way.
    public let window: Int64
    private var seen: [[UInt8]: Int64] = [:]

    public init(windowMilliseconds: Int64) { window = windowMilliseconds }

    public var count: Int { seen.count }

    public mutating func admit(_ provenance: Provenance, now: Int64) throws {
        seen = seen.filter { now - $0.value <= window }
        guard abs(now - provenance.time) <= window else {
            throw ArborError(.replayed, "the token's time is outside the replay window of \(window) ms; it is too old, or a clock is wrong")
        }
        let key = provenance.keyringID + withUnsafeBytes(of: provenance.epoch.bigEndian, Array.init) + provenance.nonce
        guard seen[key] == nil else {
            throw ArborError(.replayed, "this token was already accepted within the replay window")
        }
        seen[key] = provenance.time
    }
}
