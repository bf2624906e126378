import ArborCore
import ArborTestSupport
import Crypto
import Foundation
import Testing

@testable import ArborClient
@testable import ArborE2EE

/// Issue 12, point 7: after the whole flow (sign-ups, a second device, a conversation of three,
/// an addition and a removal, a streamed reply, a password change and a recovery), the bytes the
/// node stores (the SQLite file and its WAL) contain no plaintext, no password, no recovery word
/// and no key that opens anything, in raw, hex or base64 form.
@Suite("a copy of the node's database holds no secret", .serialized, .postgresServer)
struct E2EEDumpTests {
    @Test("the database bytes hold none of the flow's plaintexts, passwords, recovery codes or keys", arguments: E2EEStoreKind.available)
    func databaseHoldsNoSecret(kind: E2EEStoreKind) async throws {
        let node = try await E2EETestNode.start(kind)
        defer { node.remove() }
        let client = try ArborE2EEClient(node: node.url)
        // Single recovery words are looked for only where they cannot be the schema's own words or
        // the names and device names the test stores in the clear.
        var secrets = SecretList(clear: try await node.backDoor.storedBytes() + Array("alice bob carol laptop phone new".utf8))

        let alice = try await TestAccount.signUp("alice", on: client)
        let bob = try await TestAccount.signUp("bob", on: client)
        let carol = try await TestAccount.signUp("carol", on: client)
        for account in [alice, bob, carol] { secrets.add(account) }
        let phone = try await alice.signIn(on: client, device: "alice's phone")

        let conversation = try await alice.session.createConversation(with: [bob.name])
        var texts = [Marked.text("first"), Marked.text("reply"), Marked.text("to-carol"), Marked.text("after-removal")]
        try await conversation.send(texts[0])
        let bobs = try await bob.session.conversation(conversation.id)
        try await bobs.send(texts[1])
        try await conversation.add(carol.name)
        let carols = try await carol.session.conversation(conversation.id)
        try await carols.send(texts[2])
        try await conversation.remove(carol.name)
        try await bobs.send(texts[3])

        let pieces = (0..<5).map { Marked.text("piece-\($0)") }
        texts += pieces
        let stream = try await conversation.startStream()
        for piece in pieces { try await stream.write(piece) }
        try await stream.finish()
        var streamed = ""
        for try await piece in try await bobs.readStream(stream.message) { streamed += piece.text }
        #expect(streamed == pieces.joined())

        let newPassword = Marked.password("alice-new")
        try await phone.changePassword(to: SecretBytes(copying: Array(newPassword.utf8)))
        let recoveredPassword = Marked.password("bob-recovered")
        let recovered = try await client.recover(
            name: bob.name, code: bob.recoveryCode, newPassword: SecretBytes(copying: Array(recoveredPassword.utf8)), device: "new")
        texts.append(Marked.text("after-recovery"))
        try await recovered.conversation(conversation.id).send(texts.last!)
        try await bobs.refresh()
        #expect(await bobs.texts.compactMap { $0 } == [texts[0], texts[1], texts[2], texts[3], texts.last!])

        for text in texts { secrets.add(text: text) }
        secrets.add(text: newPassword)
        secrets.add(text: recoveredPassword)
        let passwords = [alice.password, bob.password, carol.password, newPassword, recoveredPassword]
        for (session, password) in zip([alice.session, bob.session, carol.session, phone, recovered], passwords) {
            secrets.add(session.keys)
            // What the password gives: the key-encryption key and the login key's seed.
            let record = await session.accountRecord
            let passwordKeys = try PasswordKeys(
                password: SecretBytes(copying: Array(password.utf8)), parameters: record.password, account: record.account)
            secrets.add(key: passwordKeys.keyEncryptionKey)
            secrets.add(key: Array(passwordKeys.login.rawRepresentation))
        }
        for view in [conversation, bobs, carols] {
            for (epoch, key) in await view.heldEpochKeys {
                secrets.add(key: key.key)
                secrets.add(key: key.messageKey(conversation: view.id, epoch: epoch))
            }
            for message in await view.history.compactMap(\.message) {
                if let streamKey = message.streamKey { secrets.add(key: streamKey) }
            }
        }
        #expect(secrets.forms.count > 200)

        let stored = try await node.backDoor.storedBytes()
        // The search works: the names are stored in the clear, and so are the messages' ciphertexts.
        #expect(stored.containsBytes(Array(alice.name.utf8)))
        let ciphertext = try await node.backDoor.messages(in: conversation.id)[0].bytes
        // (a SQLite file holds them as bytes; pg_dump writes bytea as hex)
        let tail = Array(ciphertext.suffix(64))
        #expect(stored.containsBytes(tail) || stored.containsBytes(Array(Hex.encode(tail).utf8)))
        secrets.expectAbsent(from: stored, when: "while the node runs")

        try await node.stop()
        secrets.expectAbsent(from: try await node.backDoor.storedBytes(), when: "after the node stopped")
    }
}

/// Everything that must not reach the node, in each form it could take there.
struct SecretList {
    let clear: [UInt8]
    private(set) var forms: [(what: String, bytes: [UInt8])] = []

    init(clear: [UInt8]) { self.clear = clear }

    mutating func add(text: String) { addForms(of: Array(text.utf8), named: "text '\(text.prefix(20))…'", textual: true) }

    mutating func add(key: SymmetricKey) { add(key: key.withUnsafeBytes { Array($0) }) }

    mutating func add(key bytes: [UInt8]) { addForms(of: bytes, named: "a \(bytes.count)-byte key", textual: false) }

    mutating func add(_ account: TestAccount) {
        add(text: account.password)
        add(text: account.recoveryCode.words.joined(separator: " "))
        add(text: account.recoveryCode.words.joined())
        for group in account.recoveryCode.groups { add(text: group) }
        for word in account.recoveryCode.words where word.count >= 6 && !clear.containsBytes(Array(word.utf8)) { add(text: word) }
        add(key: account.recoveryCode.entropy.withUnsafeBytes { Array($0) })
        add(key: account.recoveryCode.key(for: account.session.account))
    }

    mutating func add(_ keys: SessionKeys) {
        add(key: keys.master)
        add(key: keys.identity.seeds.withUnsafeBytes { Array($0) })
        add(key: Array(keys.identity.signing.rawRepresentation))
    }

    private mutating func addForms(of bytes: [UInt8], named what: String, textual: Bool) {
        forms.append((what, bytes))
        forms.append(("\(what) in hex", Array(Hex.encode(bytes).utf8)))
        forms.append(("\(what) in upper-case hex", Array(Hex.encode(bytes).uppercased().utf8)))
        let base64 = Data(bytes).base64EncodedString()
        forms.append(("\(what) in base64", Array(base64.trimmingCharacters(in: ["="]).utf8)))
        forms.append(("\(what) in base64url", Array(Base64URL.encode(bytes).utf8)))
        if textual {
            forms.append(
                ("\(what) in UTF-16", Array(String(decoding: bytes, as: UTF8.self).utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] })))
        }
    }

    func expectAbsent(from stored: [UInt8], when: String) {
        for form in forms {
            #expect(!stored.containsBytes(form.bytes), "\(form.what) is in the node's database \(when)")
        }
    }
}

extension [UInt8] {
    /// Whether `needle` occurs in these bytes (Foundation's search, compiled optimised: the
    /// database is megabytes and the list hundreds of forms long).
    func containsBytes(_ needle: [UInt8]) -> Bool {
        needle.isEmpty || Data(self).range(of: Data(needle)) != nil
    }
}
