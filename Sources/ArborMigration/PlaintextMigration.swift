import ArborCore
import ArborE2EE

/// Moves a legacy plaintext store into one account's end-to-end encrypted conversations, on the
/// client (docs/e2ee.md §15): in batches, with progress, pausing between batches and resuming from
/// the state file, never encrypting a message twice (ids derive from the master key and the legacy
/// ids), verifying by reading everything back, and keeping the original until the user confirms;
/// until then a rollback deletes what was written.
public struct PlaintextMigration: Sendable {
    public struct Progress: Sendable, Equatable {
        public var migrated: Int
        public var total: Int
        /// Messages this run wrote (not counting those an earlier run had written).
        public var written: Int
        public var status: MigrationState.Status
    }

    public struct Verification: Sendable, Equatable {
        public var checked: Int
        /// Legacy message ids missing from, or different in, the encrypted conversations.
        public var mismatched: [String]
        public var isComplete: Bool { mismatched.isEmpty }
    }

    let source: any LegacyStore
    let destination: any MigrationDestination
    let ids: MigrationIDs
    let account: AccountID
    let stateFile: MigrationStateFile
    let participant: String?

    /// `participant`: the legacy user whose conversations move (nil: every conversation).
    public init(
        source: any LegacyStore, destination: any MigrationDestination, keys: AccountKeys, stateFile: MigrationStateFile,
        participant: String?
    ) {
        self.source = source
        self.destination = destination
        ids = MigrationIDs(keys: keys)
        account = keys.account
        self.stateFile = stateFile
        self.participant = participant
    }

    /// The state on file, or a new plan from the legacy store.
    public func state() throws -> MigrationState {
        if let state = try stateFile.load() {
            guard state.account == account.hex else {
                throw ArborError(.conflict, "\(stateFile.path) is another account's migration (\(state.account))")
            }
            return state
        }
        let conversations = try source.conversations(of: participant).map {
            MigrationState.Conversation(legacyID: $0.id, conversation: nil, total: try source.messageCount(in: $0.id), migrated: 0)
        }
        return MigrationState(account: account.hex, status: .migrating, conversations: conversations)
    }

    /// Writes batches of up to `batchSize` messages until done or `shouldPause` says stop (checked
    /// between batches); the state is saved after each batch.
    public func run(
        batchSize: Int, shouldPause: @Sendable () -> Bool = { false }, progress: (Progress) -> Void = { _ in }
    ) async throws -> Progress {
        guard batchSize > 0 else { throw ArborError(.invalidArgument, "the batch size is at least 1") }
        var state = try state()
        guard state.status == .migrating else { return Progress(state, written: 0) }
        try stateFile.save(state)
        var written = 0
        while let index = state.conversations.firstIndex(where: { $0.migrated < $0.total }) {
            if shouldPause() { return Progress(state, written: written) }
            written += try await migrateBatch(of: index, in: &state, size: batchSize)
            try stateFile.save(state)
            progress(Progress(state, written: written))
        }
        state.status = .migrated
        try stateFile.save(state)
        return Progress(state, written: written)
    }

    private func migrateBatch(of index: Int, in state: inout MigrationState, size: Int) async throws -> Int {
        var entry = state.conversations[index]
        let conversation: ConversationID
        if let hex = entry.conversation {
            conversation = try ConversationID(hex: hex)
        } else {
            conversation = try await destination.openConversation(nonce: ids.conversationNonce(legacyConversation: entry.legacyID))
            entry.conversation = conversation.hex
        }
        var written = 0
        for message in try source.messages(in: entry.legacyID, offset: entry.migrated, limit: size) {
            let imported = ImportedMessage(author: message.author, legacyID: message.id, sentAt: message.sentAt, text: message.text)
            let id = try ids.messageID(legacyConversation: entry.legacyID, legacyMessage: message.id)
            if try await destination.append(imported, id: id, to: conversation) { written += 1 }
            entry.migrated += 1
        }
        state.conversations[index] = entry
        return written
    }

    /// Reads every encrypted conversation back and compares it with the original, message by message.
    public func verify() async throws -> Verification {
        var state = try state()
        guard state.status == .migrated || state.status == .verified else {
            throw ArborError(.conflict, "the migration is \(state.status.rawValue); verify after it has written every message")
        }
        var verification = Verification(checked: 0, mismatched: [])
        for entry in state.conversations {
            var stored: [MessageID: ImportedMessage] = [:]
            if let hex = entry.conversation { stored = try await destination.importedMessages(in: try ConversationID(hex: hex)) }
            var offset = 0
            while case let batch = try source.messages(in: entry.legacyID, offset: offset, limit: 500), !batch.isEmpty {
                for message in batch {
                    let id = try ids.messageID(legacyConversation: entry.legacyID, legacyMessage: message.id)
                    let expected = ImportedMessage(author: message.author, legacyID: message.id, sentAt: message.sentAt, text: message.text)
                    verification.checked += 1
                    if stored[id] != expected { verification.mismatched.append(message.id) }
                }
                offset += batch.count
            }
        }
        if verification.isComplete {
            state.status = .verified
            try stateFile.save(state)
        }
        return verification
    }

    /// Deletes the original plaintext: only after a complete verification.
    public func confirm() throws {
        var state = try state()
        guard state.status == .verified || state.status == .confirmed else {
            throw ArborError(.conflict, "the migration is \(state.status.rawValue); confirm only after `verify` found every message")
        }
        try source.purge(conversations: state.conversations.map(\.legacyID))
        state.status = .confirmed
        try stateFile.save(state)
    }

    /// Deletes what the migration wrote and its state; the original was never changed.
    public func rollback() async throws {
        let state = try state()
        guard state.status != .confirmed else {
            throw ArborError(.conflict, "the migration was confirmed and the original deleted; nothing rolls back")
        }
        for hex in state.conversations.compactMap(\.conversation) {
            try await destination.deleteConversation(try ConversationID(hex: hex))
        }
        try stateFile.remove()
    }
}

extension PlaintextMigration.Progress {
    init(_ state: MigrationState, written: Int) {
        self.init(migrated: state.migrated, total: state.total, written: written, status: state.status)
    }
}
