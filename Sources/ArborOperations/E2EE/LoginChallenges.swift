import ArborCore
import ArborE2EE
import Synchronization

/// The challenges the node handed out for sign-in and recovery (docs/e2ee.md §7), in memory: each
/// is 32 fresh random bytes, bound to the account and the purpose it was asked for, good once and
/// for five minutes. A restart forgets them, which costs a client one more round trip.
public final class LoginChallenges: Sendable {
    public enum Purpose: Sendable { case signIn, recovery }

    public static let lifetimeSeconds: Int64 = 300
    /// At this many outstanding challenges, expired ones are dropped, and if that is not enough the
    /// older half: a flood of questions cannot grow the table without bound.
    static let maximumOutstanding = 100_000

    private struct Entry {
        let account: AccountID
        let purpose: Purpose
        let expiresAt: Int64
    }

    private let entries = Mutex<[[UInt8]: Entry]>([:])

    public init() {}

    /// A fresh challenge for `account`.
    public func issue(for account: AccountID, purpose: Purpose, now: Int64) -> [UInt8] {
        let challenge = randomBytes(LoginProof.challengeSize)
        entries.withLock { entries in
            if entries.count >= Self.maximumOutstanding {
                entries = entries.filter { $0.value.expiresAt > now }
                // Still full: the older half goes at once, so that the next inserts cost nothing.
                if entries.count >= Self.maximumOutstanding {
                    let kept = entries.sorted { $0.value.expiresAt > $1.value.expiresAt }.prefix(Self.maximumOutstanding / 2)
                    entries = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
                }
            }
            entries[challenge] = Entry(account: account, purpose: purpose, expiresAt: now + Self.lifetimeSeconds)
        }
        return challenge
    }

    /// Whether `challenge` was issued for `account` and `purpose` and is still fresh. It is used up
    /// either way: a challenge is never answered twice.
    public func redeem(_ challenge: [UInt8], for account: AccountID, purpose: Purpose, now: Int64) -> Bool {
        guard let entry = entries.withLock({ $0.removeValue(forKey: challenge) }) else { return false }
        return entry.account == account && entry.purpose == purpose && entry.expiresAt > now
    }
}
