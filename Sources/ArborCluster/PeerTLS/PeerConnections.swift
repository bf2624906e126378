import ArborCore
import NIOCore
import Synchronization

/// The channels open with verified peers, both ways, so that a revocation closes those already
/// open: a handshake checks the trust of its moment only.
public final class PeerConnections: Sendable {
    private struct Entry: Sendable {
        let identity: PeerIdentity
        let channel: any Channel
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    public init() {}

    /// Called once the peer is verified; the entry goes when the channel closes.
    func register(_ channel: any Channel, identity: PeerIdentity) {
        let id = ObjectIdentifier(channel)
        entries.withLock { $0[id] = Entry(identity: identity, channel: channel) }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.entries.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// Drops a channel's entry before it closes (its peer no longer counts as verified).
    func forget(_ channel: any Channel) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The verified peer of a channel, nil before its handshake verified one.
    public func identity(of channel: any Channel) -> PeerIdentity? {
        entries.withLock { $0[ObjectIdentifier(channel)]?.identity }
    }

    /// The peers of the channels open now.
    public var open: [PeerIdentity] { entries.withLock { $0.values.map(\.identity) } }

    /// Closes every channel whose peer no longer verifies under `trust` (a revocation of its key,
    /// or of an ancestor's); each distinct key is checked once. Returns the peers closed.
    @discardableResult
    public func closeUntrusted(trust: PeerTrust, at time: Int64) -> [PeerIdentity] {
        let current = entries.withLock { Array($0.values) }
        var verdicts: [KeyID: Bool] = [:]
        var closed: [PeerIdentity] = []
        for entry in current {
            let key = entry.identity.keyID
            let trusted = verdicts[key] ?? PeerVerification.stillTrusted(entry.identity, trust: trust, at: time)
            verdicts[key] = trusted
            if !trusted {
                // Forgotten at once, so no request that still arrives during the TLS close is
                // answered as from a verified peer.
                forget(entry.channel)
                entry.channel.close(promise: nil)
                closed.append(entry.identity)
            }
        }
        return closed
    }
}
