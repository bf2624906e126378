import ArborCore
import Testing

@testable import ArborE2EE

/// Conversations and messages (issue 12, points 3 and 4): key envelopes that open only for their
/// recipient, membership worked out from signed envelopes, removal moving to an epoch the removed
/// member cannot open, and a reader that refuses what a dishonest node does to messages.
@Suite("E2EE conversations and messages")
struct ConversationTests {
    /// An account's public side and keys, without the password's PBKDF2 (not under test here).
    struct Person {
        let account = AccountID.random()
        let identity: IdentityKeys
        init() throws { identity = try IdentityKeys.generate() }
        var publicKeys: IdentityPublicKeys { identity.publicKeys }
    }

    /// A conversation made by `alice` with `bob`, one epoch-0 key wrapped to both.
    struct Fixture {
        let alice: Person
        let bob: Person
        let carol: Person
        let nonce = randomBytes(16)
        let conversation: ConversationID
        let key0 = EpochKey.random()
        var envelopes: [KeyEnvelope] = []

        init() throws {
            (alice, bob, carol) = (try Person(), try Person(), try Person())
            conversation = try ConversationID(creator: alice.account, nonce: nonce)
            envelopes = try [alice, bob].map { try envelope(key0, epoch: 0, to: $0, by: alice) }
        }

        var identities: [AccountID: IdentityPublicKeys] {
            Dictionary(uniqueKeysWithValues: [alice, bob, carol].map { ($0.account, $0.publicKeys) })
        }

        func envelope(_ key: EpochKey, epoch: UInt32, to recipient: Person, by adder: Person) throws -> KeyEnvelope {
            try KeyEnvelope.seal(
                key, conversation: conversation, epoch: epoch, recipient: recipient.account, recipientKeys: recipient.publicKeys,
                adder: adder.account, adderIdentity: adder.identity)
        }

        func membership(_ envelopes: [KeyEnvelope]? = nil) throws -> ConversationMembership {
            try ConversationMembership(
                conversation: conversation, creator: alice.account, nonce: nonce, envelopes: envelopes ?? self.envelopes,
                identities: identities)
        }

        func message(
            _ text: String, from sender: Person, sequence: UInt64, previous: MessageID = .none, epoch: UInt32 = 0, key: EpochKey? = nil
        ) throws -> SealedMessage {
            let header = try MessageHeader(
                kind: .text, conversation: conversation, epoch: epoch, sender: sender.account, sequence: sequence, previous: previous)
            return try SealedMessage.seal(Array(text.utf8), header: header, epochKey: key ?? key0, senderIdentity: sender.identity)
        }
    }

    @Test func anEnvelopeOpensForItsRecipientOnly() throws {
        let fixture = try Fixture()
        let toBob = fixture.envelopes[1]
        let opened = try toBob.open(with: fixture.bob.identity, adderKeys: fixture.alice.publicKeys)
        #expect(opened.key == fixture.key0.key)
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try toBob.open(with: fixture.carol.identity, adderKeys: fixture.alice.publicKeys)
        }
        // Claimed to come from another adder, or with any byte changed: refused.
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try toBob.open(with: fixture.bob.identity, adderKeys: fixture.carol.publicKeys)
        }
        for offset in [0 + 5, 21, 37, 53 + 7, KeyEnvelope.signedSize - 3, KeyEnvelope.size - 1] {
            var bytes = toBob.bytes
            bytes[offset] ^= 0x01
            let changed = try KeyEnvelope(bytes: bytes)
            #expect(throws: ArborError(.authenticationFailed, "")) {
                try changed.open(with: fixture.bob.identity, adderKeys: fixture.alice.publicKeys)
            }
        }
        #expect(throws: ArborError(.malformedInput, "")) { try KeyEnvelope(bytes: Array(toBob.bytes.dropLast())) }
    }

    @Test func membershipFollowsSignedEnvelopesOnly() throws {
        var fixture = try Fixture()
        let membership = try fixture.membership()
        #expect(membership.members[0] == [fixture.alice.account, fixture.bob.account])
        #expect(membership.rejected.isEmpty)

        // Bob (a member) adds Carol to epoch 0; listed before Bob's own envelope, it still counts.
        let carolByBob = try fixture.envelope(fixture.key0, epoch: 0, to: fixture.carol, by: fixture.bob)
        let reordered = [carolByBob] + fixture.envelopes
        #expect(try fixture.membership(reordered).isMember(fixture.carol.account, of: 0))

        // Carol, not a member, cannot add herself; nor can an envelope signed by someone else.
        let selfAdded = try fixture.envelope(fixture.key0, epoch: 0, to: fixture.carol, by: fixture.carol)
        let refused = try fixture.membership(fixture.envelopes + [selfAdded])
        #expect(!refused.isMember(fixture.carol.account, of: 0))
        #expect(refused.rejected.count == 1)

        // A conversation id that does not come from its claimed creator.
        #expect(throws: ArborError(.conflict, "")) {
            try ConversationMembership(
                conversation: fixture.conversation, creator: fixture.bob.account, nonce: fixture.nonce, envelopes: fixture.envelopes,
                identities: fixture.identities)
        }
        fixture.envelopes.append(carolByBob)
    }

    @Test func removingAMemberMovesToAnEpochTheyCannotOpen() throws {
        var fixture = try Fixture()
        fixture.envelopes.append(try fixture.envelope(fixture.key0, epoch: 0, to: fixture.carol, by: fixture.alice))
        // Alice removes Carol: epoch 1, wrapped to Alice and Bob only.
        let key1 = EpochKey.random()
        let epoch1 = try [fixture.alice, fixture.bob].map { try fixture.envelope(key1, epoch: 1, to: $0, by: fixture.alice) }
        let membership = try fixture.membership(fixture.envelopes + epoch1)
        #expect(membership.newestEpoch == 1)
        #expect(membership.members[1] == [fixture.alice.account, fixture.bob.account])
        #expect(membership.envelope(for: fixture.carol.account, epoch: 1) == nil)

        let later = try fixture.message("after Carol left", from: fixture.bob, sequence: 1, epoch: 1, key: key1)
        let carolKeys = [UInt32(0): fixture.key0]
        var carolReads = ConversationReader(conversation: fixture.conversation)
        #expect(throws: ArborError(.noMatchingKey, "")) {
            try carolReads.read(later, membership: membership, epochKeys: carolKeys, identities: fixture.identities)
        }
        // Her epoch-0 key does not open it either, whatever epoch the node claims.
        #expect(throws: ArborError(.authenticationFailed, "")) { try later.open(epochKey: fixture.key0) }

        var bobReads = ConversationReader(conversation: fixture.conversation)
        let read = try bobReads.read(
            later, membership: membership, epochKeys: [0: fixture.key0, 1: key1], identities: fixture.identities)
        #expect(String(decoding: read.plaintext, as: UTF8.self) == "after Carol left")
    }

    @Test func anEpochHasOneOpenerWhoHoldsAKeyOfIt() throws {
        var fixture = try Fixture()
        fixture.envelopes.append(try fixture.envelope(fixture.key0, epoch: 0, to: fixture.carol, by: fixture.alice))
        let key1 = EpochKey.random()
        let byAlice = try [fixture.alice, fixture.bob].map { try fixture.envelope(key1, epoch: 1, to: $0, by: fixture.alice) }
        // Carol, removed by Alice, slips Bob a key of her own for epoch 1, giving herself none:
        // shown alone, that epoch counts for nothing.
        let carolsKey = EpochKey.random()
        let byCarol = try fixture.envelope(carolsKey, epoch: 1, to: fixture.bob, by: fixture.carol)
        let hidden = try fixture.membership(fixture.envelopes + [byCarol])
        #expect(hidden.members[1] == nil && hidden.rejected.count == 1)
        // Giving herself a key too, she shows as a member of the epoch she opened.
        let carolToSelf = try fixture.envelope(carolsKey, epoch: 1, to: fixture.carol, by: fixture.carol)
        let visible = try fixture.membership(fixture.envelopes + [byCarol, carolToSelf])
        #expect(visible.openers[1] == fixture.carol.account && visible.isMember(fixture.carol.account, of: 1))
        // Beside Alice's opening, the second opener is refused.
        let both = try fixture.membership(fixture.envelopes + byAlice + [byCarol, carolToSelf])
        #expect(both.openers[1] == fixture.alice.account)
        #expect(both.members[1] == [fixture.alice.account, fixture.bob.account])
        #expect(both.rejected.count == 2)
        // The creator gives itself a key of epoch 0 too.
        let withoutCreator = try fixture.membership([fixture.envelopes[1]])
        #expect(withoutCreator.members[0] == nil)
    }

    @Test func theReaderRefusesWhatADishonestNodeDoes() throws {
        let fixture = try Fixture()
        let membership = try fixture.membership()
        let keys = [UInt32(0): fixture.key0]
        let first = try fixture.message("one", from: fixture.alice, sequence: 1)
        let reply = try fixture.message("two", from: fixture.bob, sequence: 1, previous: first.header.id)
        let third = try fixture.message("three", from: fixture.alice, sequence: 2, previous: reply.header.id)
        let read = { (reader: inout ConversationReader, message: SealedMessage) in
            try reader.read(message, membership: membership, epochKeys: keys, identities: fixture.identities)
        }

        var honest = ConversationReader(conversation: fixture.conversation)
        #expect(
            try [first, reply, third].map { String(decoding: try read(&honest, $0).plaintext, as: UTF8.self) } == ["one", "two", "three"])
        #expect(honest.nextSequence(for: fixture.alice.account) == 3)
        #expect(honest.lastRead == third.header.id)

        // Replayed.
        #expect(throws: ArborError(.replayed, "")) { try read(&honest, first) }

        // A reply delivered before what it answers: the reply shows the gap, and what it answers,
        // delivered after it, is refused.
        var swapped = ConversationReader(conversation: fixture.conversation)
        #expect(try read(&swapped, reply).answersMissing)
        #expect(throws: ArborError(.reordered, "")) { try read(&swapped, first) }
        // A sender's messages swapped.
        var senderSwapped = ConversationReader(conversation: fixture.conversation)
        let laterFirst = try fixture.message("four", from: fixture.alice, sequence: 3)
        _ = try read(&senderSwapped, laterFirst)
        #expect(throws: ArborError(.reordered, "")) { try read(&senderSwapped, first) }

        // Withheld messages show as a gap.
        var gapped = ConversationReader(conversation: fixture.conversation)
        #expect(try read(&gapped, laterFirst).missingBefore == 2)

        // The sender changed to another member, in the header: the signature no longer verifies,
        // and re-signed by that member, the AEAD no longer opens.
        var renamed = first.bytes
        renamed.replaceSubrange(38..<54, with: fixture.bob.account.bytes)
        var fresh = ConversationReader(conversation: fixture.conversation)
        #expect(throws: ArborError(.authenticationFailed, "")) { try read(&fresh, try SealedMessage(bytes: renamed)) }
        let signedPart = Array(renamed.dropLast(HybridSignature.size))
        let resigned = try SealedMessage(
            bytes: signedPart + HybridSignature.sign(SealedMessage.signedMessage(signedPart), with: fixture.bob.identity))
        #expect(resigned.isSigned(by: fixture.bob.publicKeys))
        #expect(throws: ArborError(.authenticationFailed, "")) { try read(&fresh, resigned) }

        // A non-member (Carol) signing her own message in epoch 0.
        let intruder = try fixture.message("let me in", from: fixture.carol, sequence: 1)
        #expect(throws: ArborError(.authenticationFailed, "")) { try read(&fresh, intruder) }

        // A changed ciphertext byte; a message of another conversation.
        var flipped = first.bytes
        flipped[MessageHeader.size] ^= 0x80
        #expect(throws: ArborError(.authenticationFailed, "")) { try read(&fresh, try SealedMessage(bytes: flipped)) }
        var elsewhere = ConversationReader(conversation: try ConversationID(creator: fixture.alice.account, nonce: randomBytes(16)))
        #expect(throws: ArborError(.conflict, "")) { try read(&elsewhere, first) }

        // Nothing refused changed the reader: the honest sequence still reads.
        #expect(try read(&fresh, first).missingBefore == 0)
    }

    @Test func aSwappedEnvelopeKeyIsCaught() throws {
        let fixture = try Fixture()
        // The node swaps the sealed epoch key of Bob's envelope for the one in Alice's.
        var swapped = fixture.envelopes[1].bytes
        let sealedStart = KeyEnvelope.headerSize + KeyEnvelope.kemCiphertextSize
        swapped.replaceSubrange(0..<KeyEnvelope.signedSize, with: fixture.envelopes[0].bytes[0..<KeyEnvelope.signedSize])
        swapped.replaceSubrange(21..<37, with: fixture.bob.account.bytes)
        let forged = try KeyEnvelope(bytes: swapped)
        #expect(!forged.isSigned(by: fixture.alice.publicKeys))
        #expect(try fixture.membership([fixture.envelopes[0], forged]).rejected.count == 1)
        #expect(sealedStart + 48 == KeyEnvelope.signedSize)
    }

    @Test func safetyNumbersNameAnIdentity() throws {
        let alice = try Person()
        let number = SafetyNumber(account: alice.account, identity: alice.publicKeys)
        #expect(number == SafetyNumber(account: alice.account, identity: alice.publicKeys))
        #expect(number.digitGroups.count == 12 && number.words.count == 12)
        #expect(number != SafetyNumber(account: alice.account, identity: try Person().publicKeys))
        #expect(number != SafetyNumber(account: AccountID.random(), identity: alice.publicKeys))
    }
}
