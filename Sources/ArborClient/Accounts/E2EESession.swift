import ArborCore
import ArborE2EE
import NIOHTTP1

/// A signed-in device: the account's keys in memory and the node's bearer token. Account calls
/// (password, devices, sign-out), identity lookups, and conversations (`conversation(_:)`).
public actor E2EESession: CustomStringConvertible {
    nonisolated let transport: NodeTransport
    nonisolated let token: String
    public nonisolated let name: String
    public nonisolated let account: AccountID
    nonisolated let keys: SessionKeys
    private var record: AccountRecord
    private var identities: [AccountID: AccountIdentity] = [:]

    init(transport: NodeTransport, token: String, name: String, keys: SessionKeys, record: AccountRecord) {
        self.transport = transport
        self.token = token
        self.name = name
        account = keys.account
        self.keys = keys
        self.record = record
        identities[keys.account] = AccountIdentity(account: keys.account, name: name, publicKeys: record.identityPublicKeys)
    }

    public nonisolated var description: String { "E2EESession(\(name), redacted)" }

    /// The record as this session last wrote or read it (for the SDK's tests).
    var accountRecord: AccountRecord { record }

    /// This account's own identity, as the node stores it.
    public var identity: AccountIdentity { identities[account]! }

    // MARK: The account

    /// Signs this device out; the session's token stops working.
    public func signOut() async throws {
        try await transport.call(.DELETE, "/v1/e2ee/sessions/current", session: token)
    }

    /// A new password: a new salt (and `rounds`, if raised) and login key, the master key wrapped
    /// again. Nothing else changes, so everything stays readable.
    public func changePassword(to password: SecretBytes, rounds: UInt32? = nil) async throws {
        let changed = try keys.changingPassword(to: password, record: record, rounds: rounds)
        try await transport.call(.PUT, "/v1/e2ee/account/password", body: WirePassword(changed), session: token)
        record = changed
    }

    /// The account's signed-in devices.
    public func devices() async throws -> [SignedInDevice] {
        try await transport.call(.GET, "/v1/e2ee/devices", session: token, as: WireDevices.self).devices.map {
            SignedInDevice(device: $0.device, name: $0.name, createdAt: $0.createdAt, expiresAt: $0.expiresAt, current: $0.current)
        }
    }

    /// Signs another device of this account out.
    public func signOut(device: String) async throws {
        try await transport.call(.DELETE, "/v1/e2ee/devices/\(try Self.pathSegment(device))", session: token)
    }

    // MARK: Identities

    /// The account named `name`, with the safety number to compare.
    public func identity(named name: String) async throws -> AccountIdentity {
        let query = name.addingPercentEncodingForQuery()
        let found = try AccountIdentity(
            try await transport.call(.GET, "/v1/e2ee/accounts?name=\(query)", session: token, as: WireAccountProfile.self))
        guard found.name == name else { throw ArborError(.conflict, "the node answered for another name than \(name)") }
        return try remember(found)
    }

    /// The account `id` (cached for the session: an identity does not change).
    public func identity(of id: AccountID) async throws -> AccountIdentity {
        if let known = identities[id] { return known }
        let found = try AccountIdentity(
            try await transport.call(.GET, "/v1/e2ee/accounts/\(id.hex)", session: token, as: WireAccountProfile.self))
        guard found.account == id else { throw ArborError(.conflict, "the node answered for another account than \(id.hex)") }
        return try remember(found)
    }

    /// Keeps the first keys seen for an account: a node that later hands out other keys for it
    /// is refused (`conflict`) for the rest of the session.
    private func remember(_ found: AccountIdentity) throws -> AccountIdentity {
        if let known = identities[found.account] {
            guard known.publicKeys == found.publicKeys else {
                throw ArborError(
                    .conflict, "the node handed out other identity keys for account \(found.account.hex) than before in this session")
            }
            return known
        }
        identities[found.account] = found
        return found
    }

    // MARK: Conversations

    /// A new conversation of this account and the accounts named `members`: epoch 0, its key
    /// sealed to each of them (and to this account) and signed by this account.
    public func createConversation(with members: [String]) async throws -> E2EEConversation {
        var recipients = [identity]
        for member in members where member != name {
            let found = try await identity(named: member)
            if !recipients.contains(where: { $0.account == found.account }) { recipients.append(found) }
        }
        let nonce = randomBytes(ConversationID.nonceSize)
        let id = try ConversationID(creator: account, nonce: nonce)
        let key = EpochKey.random()
        let envelopes = try recipients.map {
            try KeyEnvelope.seal(
                key, conversation: id, epoch: 0, recipient: $0.account, recipientKeys: $0.publicKeys, adder: account,
                adderIdentity: keys.identity)
        }
        try await transport.call(
            .POST, "/v1/e2ee/conversations",
            body: WireCreateConversation(conversation: id.hex, nonce: WireBytes(nonce), envelopes: envelopes.map { WireBytes($0.bytes) }),
            session: token)
        return try await conversation(id)
    }

    /// The conversations this account holds a key envelope in, oldest first.
    public func conversationIDs() async throws -> [ConversationID] {
        try await transport.call(.GET, "/v1/e2ee/conversations", session: token, as: WireConversationList.self).conversations.map {
            try ConversationID(hex: $0)
        }
    }

    /// The conversation `id`, opened: its envelopes checked into a membership, the keys addressed
    /// to this account opened, its history read (`E2EEConversation.refresh()` reads what came since).
    public func conversation(_ id: ConversationID) async throws -> E2EEConversation {
        let opened = E2EEConversation(session: self, id: id)
        try await opened.refresh()
        return opened
    }

    static func pathSegment(_ text: String) throws -> String {
        guard !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber }) else {
            throw ArborError(.invalidArgument, "'\(text)' is not a device id (32 hex digits)")
        }
        return text
    }
}

extension String {
    /// For a query value: letters, digits and `-._~` as they are, every other byte as %XX.
    func addingPercentEncodingForQuery() -> String {
        var out = ""
        for byte in utf8 {
            let scalar = Unicode.Scalar(byte)
            if (byte < 0x80 && (Character(scalar).isLetter || Character(scalar).isNumber)) || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    private func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
