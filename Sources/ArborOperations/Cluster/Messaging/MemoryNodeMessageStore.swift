import ArborCore
import Synchronization

/// A `NodeMessageStore` in memory, behind a lock: for tests, and for a process that publishes its
/// prekeys and receives in the same run. It forgets everything at exit, so prekeys published from
/// it become unopenable and replays are refused only while it lives; a node keeps its store in
/// its database instead.
public final class MemoryNodeMessageStore: NodeMessageStore {
    private struct State {
        var prekeys: [UInt32: PrekeySecret] = [:]
        var nextID: UInt32 = 1
        var seen: [[UInt8]: Int64] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func addPrekeys(_ make: (UInt32) throws -> [PrekeySecret]) throws -> [PrekeySecret] {
        try state.withLock { state in
            let made = try make(state.nextID)
            guard made.allSatisfy({ $0.id >= state.nextID }), Set(made.map(\.id)).count == made.count else {
                throw ArborError(.invalidArgument, "new prekeys must have fresh ids from \(state.nextID) up")
            }
            for prekey in made { state.prekeys[prekey.id] = prekey }
            state.nextID = (made.map(\.id).max() ?? state.nextID - 1) + 1
            return made
        }
    }

    public func prekeyIDs() throws -> [UInt32] { state.withLock { $0.prekeys.keys.sorted() } }

    public func consume<Result>(
        messageID: [UInt8], prekeyID: UInt32, keepUntil: Int64, now: Int64, _ open: (PrekeySecret?) throws -> Result
    ) throws -> Result {
        try state.withLock { state in
            state.seen = state.seen.filter { $0.value >= now }
            guard state.seen[messageID] == nil else {
                throw ArborError(.replayed, "this message was opened already")
            }
            var prekey: PrekeySecret?
            if prekeyID != 0 {
                guard let held = state.prekeys[prekeyID] else {
                    throw ArborError(.noMatchingKey, "prekey \(prekeyID) is not held here: it was used already, or never made here")
                }
                prekey = held
            }
            let result = try open(prekey)
            state.prekeys[prekeyID] = nil
            state.seen[messageID] = keepUntil
            return result
        }
    }
}
