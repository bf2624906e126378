import ArborCore

/// Where a node keeps what opening messages needs across restarts: the secrets of its unused
/// one-time prekeys, and the ids of the messages it has opened (so a replay is refused even after a
/// restart). Implementations: the node's SQLite database (ArborServer), a dictionary in tests.
public protocol NodeMessageStore: Sendable {
    /// Makes and keeps new prekeys: `make` receives the first unused id (ids are never reused,
    /// even after their secrets are gone) and returns secrets with ids from there up. Durable
    /// before this returns; nothing is kept when `make` throws.
    func addPrekeys(_ make: (_ firstID: UInt32) throws -> [PrekeySecret]) throws -> [PrekeySecret]

    /// The ids of the prekeys whose secrets are held (not used yet), in increasing order.
    func prekeyIDs() throws -> [UInt32]

    /// Opens one message, at most once, atomically:
    /// - a message id seen before is refused (`replayed`);
    /// - for a prekey id above 0, its secret is taken (`no matching key` when it is not held: used
    ///   already, or never made here); for 0, `open` gets nil (the node's own key);
    /// - when `open` returns, the prekey's secret is deleted and the message id remembered until
    ///   `keepUntil` (Unix seconds), durably, before this returns; when it throws, nothing changes.
    /// Ids remembered past their `keepUntil` at `now` may be forgotten.
    func consume<Result>(
        messageID: [UInt8], prekeyID: UInt32, keepUntil: Int64, now: Int64, _ open: (PrekeySecret?) throws -> Result
    ) throws -> Result
}
