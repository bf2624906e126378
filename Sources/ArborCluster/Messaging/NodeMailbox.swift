import ArborCore
import ArborOperations

/// Messages between the nodes of one cluster through etcd (docs/cluster.md, "Messages between
/// nodes"): a node publishes one-time prekeys (`replenishPrekeys`); a sender claims one
/// atomically, seals to it and writes the message to the recipient's mailbox (`send`); the
/// recipient opens what its mailbox holds at most once and deletes each entry once handled
/// (`receive`, `deliveries`). The messages authenticate themselves: etcd only carries them.
public struct NodeMailbox: Sendable {
    public let etcd: EtcdClient
    /// The cluster root: every chain must lead to it.
    public let root: TrustAnchor

    public init(etcd: EtcdClient, root: TrustAnchor) {
        self.etcd = etcd
        self.root = root
    }

    var cluster: KeyID { root.keyID }

    static let claimDeletionsPerTransaction = 100

    // MARK: Revocations

    /// `held` with every revocation record of the cluster that verifies (through a
    /// `ClusterLedger`), so that a sender does not seal to a revoked node and a recipient refuses
    /// a revoked sender without waiting for the membership runtime. A record that does not verify
    /// is left out.
    /// - Parameter now: Unix seconds; the caller reads the clock.
    public func revocations(adding held: RevocationList, at now: Int64) async throws -> RevocationList {
        var ledger = ClusterLedger(root: root, revocations: held)
        let prefix = "\(ClusterRecordKey.prefix(cluster: cluster))revocations/"
        for entry in try await etcd.range(prefix: prefix).keyValues {
            _ = try? ledger.apply(entry.value, storedAt: entry.key, at: now)
        }
        return ledger.revocations
    }

    // MARK: Prekeys

    /// Publishes a fresh batch of prekeys when fewer than `minimum` of the published ones are
    /// still unclaimed (and held by `store`); returns how many were added (0 when enough remain).
    /// The record is written only if no one changed it since it was read (`conflict` otherwise:
    /// try again); claims of prekeys no longer published are deleted with it.
    /// - Parameter now: Unix seconds; the caller reads the clock.
    @discardableResult
    public func replenishPrekeys(
        as me: NodeSecret, chain: CertificateChain, store: some NodeMessageStore, revocations: RevocationList,
        minimum: Int = 8, batch: Int = 32, at now: Int64
    ) async throws -> Int {
        guard minimum >= 0, (1...PrekeyBundle.maximumCount).contains(batch) else {
            throw ArborError(.invalidArgument, "publish 1 to \(PrekeyBundle.maximumCount) prekeys at a time")
        }
        let key = ClusterRecordKey.prekeys(me.path, cluster: cluster)
        let stored = try await etcd.get(key.text)
        var published: [Prekey] = []
        if let stored,
            let verified = try? ClusterRecord(encoded: stored.value).verify(
                storedAt: key.text, root: root, revocations: revocations, at: now),
            case .prekeys(let bundle) = verified.content
        {
            published = bundle.prekeys
        }
        let claimed = try await claimedIDs(of: me.path)
        let held = Set(try store.prekeyIDs())
        var remaining = published.filter { !claimed.contains($0.id) && held.contains($0.id) }
        guard remaining.count < minimum else { return 0 }
        let fresh = try store.addPrekeys { first in
            guard UInt64(first) + UInt64(batch) <= UInt64(UInt32.max) else {
                throw ArborError(.limitExceeded, "this node has used every prekey id")
            }
            return try (0..<UInt32(batch)).map { try PrekeySecret.generate(id: first + $0) }
        }
        remaining = Array(remaining.suffix(PrekeyBundle.maximumCount - fresh.count))
        let bundle = try PrekeyBundle(prekeys: remaining + fresh.map(\.prekey))
        let write = try PrekeyPublication.write(
            bundle, secret: me, chain: chain, replacing: stored?.value, root: root, revocations: revocations, at: now)
        let listed = Set(bundle.prekeys.map(\.id))
        let dropped = claimed.filter { !listed.contains($0) }.sorted().map { MailboxKeys.claim($0, of: me.path, cluster: cluster) }
        // etcd allows 128 operations in a transaction by default: the rest go after it, which is
        // safe, since no claim can be made on a prekey the new record does not list.
        let result = try await etcd.transaction(
            compare: [.modRevision(of: key.text, .equal, stored?.modRevision ?? 0)],
            success: [.put(key: write.key, value: write.value)] + dropped.prefix(Self.claimDeletionsPerTransaction).map { .delete(key: $0) }
        )
        guard result.succeeded else {
            throw ArborError(.conflict, "\(key.text) changed while new prekeys were published; publish again")
        }
        for claim in dropped.dropFirst(Self.claimDeletionsPerTransaction) { try await etcd.delete(key: claim) }
        return fresh.count
    }

    private func claimedIDs(of recipient: TreePath) async throws -> Set<UInt32> {
        let prefix = MailboxKeys.claims(of: recipient, cluster: cluster)
        let entries = try await etcd.range(prefix: prefix).keyValues
        return Set(entries.compactMap { MailboxKeys.child($0.key, of: prefix).flatMap { UInt32($0) } })
    }

    // MARK: Sending

    /// Seals `payload` for the node at `recipient`, signs it as `me` and writes it to the
    /// recipient's mailbox. It is sealed to one of the recipient's prekeys, claimed so that no
    /// other sender uses it, or, when none is left, to the recipient's own X-Wing key (no forward
    /// secrecy). A prekey record that does not verify is refused, never skipped.
    /// - Parameter now: Unix seconds; the caller reads the clock.
    public func send(
        _ payload: [UInt8], as me: NodeSecret, chain: CertificateChain, to recipient: TreePath, revocations: RevocationList,
        at now: Int64
    ) async throws -> SentNodeMessage {
        let target = try await recipientKey(of: recipient, claimedBy: me.path, revocations: revocations, at: now)
        let message = try NodeMessages.seal(payload, from: me, chain: chain, to: target, cluster: cluster, at: now)
        let key = MailboxKeys.message(message.messageID, to: recipient, cluster: cluster)
        let result = try await etcd.transaction(
            compare: [.createRevision(of: key, .equal, 0)], success: [.put(key: key, value: message.encoded)])
        guard result.succeeded else { throw ArborError(.conflict, "a message with the same id is in \(recipient)'s mailbox") }
        return SentNodeMessage(recipient: recipient, messageID: message.messageID, prekeyID: target.prekeyID, key: key)
    }

    /// An unclaimed prekey of the recipient, claimed now, or its own key when none is left. The
    /// records are read through a `ClusterLedger`, so its rules hold here too: the prekeys must be
    /// signed by the node itself with the key its member record names.
    func recipientKey(
        of recipient: TreePath, claimedBy sender: TreePath, revocations: RevocationList, at now: Int64
    ) async throws -> NodeMessageRecipient {
        var members = ClusterLedger(root: root, revocations: revocations)
        let memberKey = ClusterRecordKey.member(recipient, cluster: cluster)
        let memberStored = try await etcd.get(memberKey.text)
        var memberError: (any Error)?
        if let memberStored {
            do { try members.apply(memberStored.value, storedAt: memberKey.text, at: now) } catch { memberError = error }
        }
        let key = ClusterRecordKey.prekeys(recipient, cluster: cluster)
        // A claim holds only against the bundle it was read from: when the recipient republishes
        // between the read and the claim, read again.
        for _ in 0..<3 {
            guard let stored = try await etcd.get(key.text) else { break }
            var reader = members
            let verified = try reader.apply(stored.value, storedAt: key.text, at: now)
            guard case .prekeys(let bundle) = verified.content else { break }
            let claimed = try await claimedIDs(of: recipient)
            var bundleChanged = false
            for prekey in bundle.prekeys where !claimed.contains(prekey.id) {
                let claim = MailboxKeys.claim(prekey.id, of: recipient, cluster: cluster)
                let result = try await etcd.transaction(
                    compare: [.createRevision(of: claim, .equal, 0), .modRevision(of: key.text, .equal, stored.modRevision)],
                    success: [.put(key: claim, value: Array(ClusterRecordKey.text(of: sender).utf8))],
                    failure: [.get(key: key.text)]
                )
                if result.succeeded { return try NodeMessageRecipient.prekey(prekey, of: verified) }
                if case .range(let current) = result.results.first, current.first?.modRevision != stored.modRevision {
                    bundleChanged = true
                    break
                }
            }
            if !bundleChanged {
                // Every prekey is taken: the node's own key, from the chain that signed its prekeys.
                return try NodeMessageRecipient.nodeKey(verified.record.signerChain, root: root, revocations: revocations, at: now)
            }
        }
        // No prekeys: the node's own key from its member record.
        if let memberError { throw memberError }
        guard let member = members.members[recipient] else {
            throw ArborError(
                .noMatchingKey,
                memberStored == nil
                    ? "\(recipient) publishes no prekeys and is not a member of the cluster: nothing to seal to"
                    : "\(recipient) publishes no prekeys and was removed from the cluster: nothing to seal to")
        }
        return try NodeMessageRecipient.nodeKey(member.chain, root: root, revocations: revocations, at: now)
    }

    // MARK: Receiving

    /// Opens every message in `me`'s mailbox, at most once each, and deletes each entry once it
    /// is handled: opened, or refused (a forgery, a replay, a message for a key this node no
    /// longer holds), so that nothing is retried forever. A crash before an entry is deleted
    /// hands it over again, and the store refuses it then as a replay.
    /// - Parameter now: Unix seconds; the caller reads the clock.
    public func receive(
        as me: NodeSecret, store: some NodeMessageStore, revocations: RevocationList, at now: Int64
    ) async throws -> [MailboxDelivery] {
        let prefix = MailboxKeys.mailbox(of: me.path, cluster: cluster)
        var deliveries: [MailboxDelivery] = []
        for entry in try await etcd.range(prefix: prefix).keyValues where MailboxKeys.child(entry.key, of: prefix) != nil {
            deliveries.append(try await handle(entry.key, entry.value, as: me, store: store, revocations: revocations, at: now))
        }
        return deliveries
    }

    /// Every message for `me`, as it arrives: what the mailbox holds first, then what is written
    /// to it, each opened and deleted as `receive` does. Ends when the consuming task is
    /// cancelled; throws when etcd cannot be reached.
    /// - Parameters:
    ///   - revocations: read for each message (the node's current list).
    ///   - clock: Unix seconds, read for each message.
    public func deliveries(
        as me: NodeSecret, store: some NodeMessageStore, revocations: @escaping @Sendable () -> RevocationList,
        clock: @escaping @Sendable () -> Int64
    ) -> AsyncThrowingStream<MailboxDelivery, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: MailboxDelivery.self)
        let reader = Task { [self] in
            do {
                let prefix = MailboxKeys.mailbox(of: me.path, cluster: cluster)
                let range = try await etcd.range(prefix: prefix)
                for entry in range.keyValues where MailboxKeys.child(entry.key, of: prefix) != nil {
                    continuation.yield(
                        try await handle(entry.key, entry.value, as: me, store: store, revocations: revocations(), at: clock()))
                }
                for try await event in etcd.watch(prefix: prefix, fromRevision: range.revision + 1)
                where event.kind == .put && MailboxKeys.child(event.key, of: prefix) != nil {
                    continuation.yield(
                        try await handle(event.key, event.value, as: me, store: store, revocations: revocations(), at: clock()))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: Task.isCancelled ? nil : error)
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return stream
    }

    private func handle(
        _ key: String, _ value: [UInt8], as me: NodeSecret, store: some NodeMessageStore, revocations: RevocationList, at now: Int64
    ) async throws -> MailboxDelivery {
        let delivery: MailboxDelivery
        do {
            // An entry copied under another id is refused before it is opened (and so used up).
            guard key == MailboxKeys.message(try NodeMessage(encoded: value).messageID, to: me.path, cluster: cluster) else {
                throw ArborError(.conflict, "the message at \(key) carries another message id")
            }
            delivery = .opened(try NodeMessages.open(value, as: me, root: root, revocations: revocations, store: store, at: now))
        } catch let error as ArborError {
            delivery = .refused(key: key, error: error)
        }
        try await etcd.delete(key: key)
        return delivery
    }
}

/// What `send` wrote.
public struct SentNodeMessage: Sendable, Equatable {
    public let recipient: TreePath
    public let messageID: [UInt8]
    /// The prekey it is sealed to; 0 for the recipient's own key (no forward secrecy).
    public let prekeyID: UInt32
    /// The mailbox entry.
    public let key: String
}

/// One mailbox entry, handled: opened, or refused with the reason.
public enum MailboxDelivery: Sendable {
    case opened(ReceivedNodeMessage)
    case refused(key: String, error: ArborError)
}
