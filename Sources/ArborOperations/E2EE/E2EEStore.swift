import ArborCore
import ArborE2EE

/// Where the node keeps the end-to-end encrypted applications' data (docs/e2ee.md §16): account
/// records, signed-in devices, conversations with their key envelopes, messages and stream chunks.
/// Everything in it is public keys, parameters, or ciphertext the node cannot open.
///
/// Implementations: SQLite (the node's default) and PostgreSQL, run against the same tests. Each
/// method is atomic; the uniqueness rules below are the store's to enforce, since two requests
/// racing must not both win.
public protocol E2EEStore: Sendable {
    /// `conflict` when the account id or the name is taken.
    func createAccount(_ account: StoredAccount) async throws
    func account(_ id: AccountID) async throws -> StoredAccount?
    func account(named name: String) async throws -> StoredAccount?
    /// Replaces the password fields of the record (docs/e2ee.md §8); `not found` for no account.
    func changePassword(of account: AccountID, to change: PasswordChange) async throws
    /// 32 random bytes made at the first call and the same ever after: the key of the made-up
    /// answers for unknown names (`DecoyAccounts`), so they stay the same across restarts.
    func decoySecret() async throws -> [UInt8]

    func createSession(_ session: DeviceSession) async throws
    /// The session whose token hashes to `tokenHash`, unless it expired before `now`.
    func session(tokenHash: [UInt8], now: Int64) async throws -> DeviceSession?
    func sessions(of account: AccountID, now: Int64) async throws -> [DeviceSession]
    /// Whether a session of `account` was signed out.
    func deleteSession(device: DeviceID, of account: AccountID) async throws -> Bool

    /// A new conversation with its epoch-0 envelopes; `conflict` when the id exists.
    func createConversation(_ conversation: StoredConversation, envelopes: [StoredEnvelope]) async throws
    func conversation(_ id: ConversationID) async throws -> StoredConversation?
    /// The conversations `account` holds an envelope in, oldest first.
    func conversations(of account: AccountID) async throws -> [ConversationID]
    /// Every envelope of the conversation, by epoch then insertion.
    func envelopes(in conversation: ConversationID) async throws -> [StoredEnvelope]
    /// Adds envelopes, all of one epoch. With `opening`, that epoch is the newest + 1 and has no
    /// envelope yet; without, it is the newest. `conflict` otherwise, or when a recipient already
    /// has an envelope of that epoch. All or nothing.
    func addEnvelopes(_ envelopes: [StoredEnvelope], to conversation: ConversationID, opening: Bool) async throws
    /// Deletes the conversation with its envelopes, messages, chunks and seals; false when there
    /// was none.
    func deleteConversation(_ conversation: ConversationID) async throws -> Bool

    /// Appends a message and returns its position (1, 2, … per conversation, in arrival order);
    /// `conflict` when its id exists in the conversation.
    func appendMessage(_ message: StoredMessage) async throws -> Int64
    /// Up to `limit` messages with a position above `after`, in order.
    func messages(in conversation: ConversationID, after: Int64, limit: Int) async throws -> [StoredMessage]
    func message(_ id: MessageID, in conversation: ConversationID) async throws -> StoredMessage?

    /// Appends chunk `chunk.index` of a stream; `conflict` unless the index is the stream's chunk
    /// count and no final chunk was stored.
    func appendChunk(_ chunk: StoredChunk, stream: MessageID, in conversation: ConversationID) async throws
    /// The chunks from index `from` on, in order.
    func chunks(of stream: MessageID, in conversation: ConversationID, from: Int64) async throws -> [StoredChunk]
    /// Stores the sender's seal; `conflict` unless the final chunk is stored and no seal is.
    func sealStream(_ stream: MessageID, in conversation: ConversationID, seal: [UInt8]) async throws
    func streamState(of stream: MessageID, in conversation: ConversationID) async throws -> StreamState
}

/// An account as the node keeps it: its sign-in name and its record.
public struct StoredAccount: Sendable, Equatable {
    public var name: String
    public var record: AccountRecord
    public var createdAt: Int64

    public init(name: String, record: AccountRecord, createdAt: Int64) {
        self.name = name
        self.record = record
        self.createdAt = createdAt
    }
}

/// What a password change (or a recovery) replaces in a record.
public struct PasswordChange: Sendable, Equatable {
    public var password: PasswordParameters
    public var loginPublicKey: [UInt8]
    public var masterByPassword: WrappedKey

    public init(password: PasswordParameters, loginPublicKey: [UInt8], masterByPassword: WrappedKey) {
        self.password = password
        self.loginPublicKey = loginPublicKey
        self.masterByPassword = masterByPassword
    }
}

/// A signed-in device. The node keeps only the SHA-256 of its bearer token.
public struct DeviceSession: Sendable, Equatable {
    public var device: DeviceID
    public var account: AccountID
    public var name: String
    public var tokenHash: [UInt8]
    public var createdAt: Int64
    public var expiresAt: Int64

    public init(device: DeviceID, account: AccountID, name: String, tokenHash: [UInt8], createdAt: Int64, expiresAt: Int64) {
        self.device = device
        self.account = account
        self.name = name
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A signed-in device's identifier: 16 random bytes the node picks at sign-in.
public struct DeviceID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(hex: String) throws {
        guard let bytes = try? Hex.decode(hex), bytes.count == 16 else {
            throw ArborError(.invalidArgument, "a device id is 32 hex digits")
        }
        self.bytes = bytes
    }

    public static func random() -> DeviceID { DeviceID(validated: randomBytes(16)) }

    private init(validated bytes: [UInt8]) { self.bytes = bytes }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}

public struct StoredConversation: Sendable, Equatable {
    public var id: ConversationID
    public var creator: AccountID
    public var nonce: [UInt8]
    public var createdAt: Int64

    public init(id: ConversationID, creator: AccountID, nonce: [UInt8], createdAt: Int64) {
        self.id = id
        self.creator = creator
        self.nonce = nonce
        self.createdAt = createdAt
    }
}

/// A key envelope (docs/e2ee.md §12) with the header fields the node indexes it by.
public struct StoredEnvelope: Sendable, Equatable {
    public var epoch: UInt32
    public var recipient: AccountID
    public var adder: AccountID
    public var bytes: [UInt8]

    public init(epoch: UInt32, recipient: AccountID, adder: AccountID, bytes: [UInt8]) {
        self.epoch = epoch
        self.recipient = recipient
        self.adder = adder
        self.bytes = bytes
    }
}

/// A message (docs/e2ee.md §13) with the header fields the node indexes it by. `position` is 0
/// until the store assigns one.
public struct StoredMessage: Sendable, Equatable {
    public var conversation: ConversationID
    public var position: Int64
    public var id: MessageID
    public var epoch: UInt32
    public var sender: AccountID
    public var isStream: Bool
    public var bytes: [UInt8]

    public init(
        conversation: ConversationID, position: Int64 = 0, id: MessageID, epoch: UInt32, sender: AccountID, isStream: Bool,
        bytes: [UInt8]
    ) {
        self.conversation = conversation
        self.position = position
        self.id = id
        self.epoch = epoch
        self.sender = sender
        self.isStream = isStream
        self.bytes = bytes
    }
}

/// One chunk of a token stream (docs/e2ee.md §14), and whether its sender marked it the last.
public struct StoredChunk: Sendable, Equatable {
    public var index: Int64
    public var bytes: [UInt8]
    public var isFinal: Bool

    public init(index: Int64, bytes: [UInt8], isFinal: Bool) {
        self.index = index
        self.bytes = bytes
        self.isFinal = isFinal
    }
}

public struct StreamState: Sendable, Equatable {
    public var chunkCount: Int64
    public var isFinished: Bool
    public var seal: [UInt8]?

    public init(chunkCount: Int64, isFinished: Bool, seal: [UInt8]?) {
        self.chunkCount = chunkCount
        self.isFinished = isFinished
        self.seal = seal
    }
}
