/// Rejects a mesh token whose provenance was seen before within a time window, or whose time lies
/// outside the window. Pure state: the caller supplies the clock and keeps one guard per process,
/// or saves `state` between runs (`arbor keyring open --replay-state`). Feed it only tokens that
/// have authenticated, so forgeries cannot fill it.
public struct ReplayGuard: Sendable {
    /// How far a token's time may be from now, in milliseconds, either way.
    public let window: Int64
    private var seen: [[UInt8]: Int64] = [:]

    static let stateHeader = "arbor-replay-state v1"
    static let keySize = 4 + 4 + Provenance.nonceSize

    public init(windowMilliseconds: Int64) { window = windowMilliseconds }

    /// A guard restored from `state` (docs/formats.md, "Replay guard"); entries already outside the
    /// window are dropped at the next `admit`.
    public init(windowMilliseconds: Int64, state: String) throws {
        window = windowMilliseconds
        var lines = state.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        guard lines.next() == Substring(Self.stateHeader) else {
            throw ArborError(.corruptFile, "this is not an Arbor replay state file (it starts with '\(Self.stateHeader)')")
        }
        while let line = lines.next() {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let key = try? Hex.decode(String(fields[0])), key.count == Self.keySize,
                let time = Int64(fields[1]), time >= 0, time < 1 << 48
            else {
                throw ArborError(.corruptFile, "the replay state file holds a damaged line; delete it to start afresh")
            }
            seen[key] = time
        }
    }

    /// The admitted tokens as text: a header line, then `hex(keyring id ‖ u32 epoch ‖ nonce) time`
    /// per token, sorted, one per line.
    public var state: String {
        ([Self.stateHeader] + seen.map { "\(Hex.encode($0.key)) \($0.value)" }.sorted()).joined(separator: "\n") + "\n"
    }

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
