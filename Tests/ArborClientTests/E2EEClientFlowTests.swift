import ArborCore
import ArborE2EE
import ArborTestSupport
import Foundation
import Testing

@testable import ArborClient

/// The SDK against a real node over HTTP: accounts, devices, conversations with two and three
/// accounts, streams read while they are written and after a dropped connection.
@Suite("ArborClient through a real node", .serialized, .postgresServer)
struct E2EEClientFlowTests {
    @Test("sign-up, a second device, the safety number, a wrong password, sign-out", arguments: E2EEStoreKind.available)
    func accountsAndDevices(kind: E2EEStoreKind) async throws {
        let node = try await E2EETestNode.start(kind)
        defer { node.remove() }
        let client = try ArborE2EEClient(node: node.url)
        let alice = try await TestAccount.signUp("alice", on: client)
        let bob = try await TestAccount.signUp("bob", on: client)
        #expect(alice.recoveryCode.words.count == 18)

        let laptop = try await alice.signIn(on: client, device: "alice's phone")
        #expect(laptop.account == alice.session.account)
        let devices = try await laptop.devices()
        #expect(devices.count == 2 && devices.filter(\.current).map(\.name) == ["alice's phone"], "\(devices)")

        // Bob sees the number Alice's own keys give.
        let seen = try await bob.session.identity(named: alice.name)
        let own = await alice.session.identity
        #expect(seen.safetyNumber == SafetyNumber(account: own.account, identity: own.publicKeys))
        #expect(seen.safetyNumber != (await bob.session.identity).safetyNumber)

        await #expect(throws: ArborError(.wrongPassphrase, "")) {
            _ = try await client.signIn(name: alice.name, password: SecretBytes(copying: Array("wrong".utf8)), device: "thief")
        }
        try await laptop.signOut()
        await #expect(throws: ArborError(.notAuthorised, "")) { _ = try await laptop.devices() }
        #expect(try await alice.session.devices().count == 1)
        #expect(!"\(laptop)".contains(alice.password) && "\(laptop)".contains("redacted"))
        try await node.stop()
    }

    @Test("messages both ways; a password change and a recovery leave the history readable", arguments: E2EEStoreKind.available)
    func conversationPasswordAndRecovery(kind: E2EEStoreKind) async throws {
        let node = try await E2EETestNode.start(kind)
        defer { node.remove() }
        let client = try ArborE2EEClient(node: node.url)
        var alice = try await TestAccount.signUp("alice", on: client)
        let bob = try await TestAccount.signUp("bob", on: client)

        let started = try await alice.session.createConversation(with: [bob.name])
        try await started.send("hello bob")
        #expect(try await bob.session.conversationIDs() == [started.id])
        let bobs = try await bob.session.conversation(started.id)
        #expect(await bobs.texts == ["hello bob"])
        try await bobs.send("hello alice")
        try await started.refresh()
        #expect(await started.texts == ["hello bob", "hello alice"])
        // Bob's reply names Alice's message as the one he had read.
        let reply = try #require(await started.history.last?.message)
        #expect(reply.sealed.header.previous == (await started.history.first?.message?.id))

        // A new password: the old one stops working, the history stays readable.
        try await alice.session.changePassword(to: SecretBytes(copying: Array("a new password for alice".utf8)))
        await #expect(throws: ArborError(.wrongPassphrase, "")) { _ = try await alice.signIn(on: client) }
        alice.password = "a new password for alice"
        let afterChange = try await alice.signIn(on: client).conversation(started.id)
        #expect(await afterChange.texts == ["hello bob", "hello alice"])

        // Bob forgot his: the recovery code sets a new one, and everything reads.
        let recovered = try await client.recover(
            name: bob.name, code: try RecoveryCode(parsing: bob.recoveryCode.words.joined(separator: " ")),
            newPassword: SecretBytes(copying: Array("bob's new password".utf8)), device: "bob's new laptop")
        let bobAgain = try await client.signIn(
            name: bob.name, password: SecretBytes(copying: Array("bob's new password".utf8)), device: "x")
        #expect(bobAgain.account == bob.session.account)
        let recoveredView = try await recovered.conversation(started.id)
        #expect(await recoveredView.texts == ["hello bob", "hello alice"])
        try await recoveredView.send("back again")
        try await afterChange.refresh()
        #expect(await afterChange.texts == ["hello bob", "hello alice", "back again"])
        #expect(await afterChange.refusals.allSatisfy { $0 == nil })
        try await node.stop()
    }

    @Test(
        "three accounts: a newcomer reads the current epoch; a removed member reads nothing written after",
        arguments: E2EEStoreKind.available)
    func addAndRemove(kind: E2EEStoreKind) async throws {
        let node = try await E2EETestNode.start(kind)
        defer { node.remove() }
        let client = try ArborE2EEClient(node: node.url)
        let alice = try await TestAccount.signUp("alice", on: client)
        let bob = try await TestAccount.signUp("bob", on: client)
        let carol = try await TestAccount.signUp("carol", on: client)

        let conversation = try await alice.session.createConversation(with: [bob.name])
        try await conversation.send("before carol")
        try await conversation.add(carol.name)
        let carols = try await carol.session.conversation(conversation.id)
        #expect(await carols.texts == ["before carol"])
        try await carols.send("hi, carol here")

        try await conversation.remove(carol.name)
        #expect(await conversation.writingEpoch == 1)
        #expect(Set(await conversation.members.map(\.name)) == [alice.name, bob.name])
        let bobs = try await bob.session.conversation(conversation.id)
        try await bobs.send("after carol left")
        try await conversation.send("alice after too")

        try await carols.refresh()
        #expect(await carols.texts == ["before carol", "hi, carol here", nil, nil])
        #expect(await carols.refusals == [nil, nil, .noMatchingKey, .noMatchingKey])
        await #expect(throws: ArborError(.noMatchingKey, "")) { try await carols.send("can I still write?") }
        try await bobs.refresh()
        #expect(await bobs.texts == ["before carol", "hi, carol here", "after carol left", "alice after too"])
        try await node.stop()
    }

    @Test("a streamed reply is read piece by piece while it is written, then its seal verifies", arguments: E2EEStoreKind.available)
    func streamReadWhileWritten(kind: E2EEStoreKind) async throws {
        let node = try await E2EETestNode.start(kind)
        defer { node.remove() }
        let client = try ArborE2EEClient(node: node.url)
        let alice = try await TestAccount.signUp("alice", on: client)
        let assistant = try await TestAccount.signUp("assistant", on: client)
        let conversation = try await alice.session.createConversation(with: [assistant.name])
        try await conversation.send("tell me something")

        let writing = try await assistant.session.conversation(conversation.id)
        let stream = try await writing.startStream()
        let pieces = ["Once", " upon", " a", " time"]
        // The writer writes piece i + 1 only after the reader has read piece i: the reader can only
        // get through if each piece reaches it while the stream is still being written.
        let (read, readSignal) = AsyncStream<Int>.makeStream()
        let writer = Task {
            var signals = read.makeAsyncIterator()
            for (index, piece) in pieces.enumerated() {
                try await stream.write(piece)
                guard await signals.next() == index else { throw ArborError(.truncated, "the reader stopped") }
            }
            try await stream.finish()
        }
        try await conversation.refresh()
        var received: [String] = []
        for try await piece in try await conversation.readStream(stream.message) {
            if !piece.isFinal {
                received.append(piece.text)
                readSignal.yield(Int(piece.index))
            }
        }
        try await writer.value
        #expect(received == pieces)
        #expect(await conversation.history.last?.message?.kind == .stream)
        try await node.stop()
    }

    @Test("after a dropped connection the reader resumes from the last verified chunk", arguments: E2EEStoreKind.available)
    func resumeAfterDroppedConnection(kind: E2EEStoreKind) async throws {
        let node = try await E2EETestNode.start(kind)
        defer { node.remove() }
        let client = try ArborE2EEClient(node: node.url)
        let alice = try await TestAccount.signUp("alice", on: client)
        let bob = try await TestAccount.signUp("bob", on: client)
        let conversation = try await alice.session.createConversation(with: [bob.name])
        let stream = try await conversation.startStream()
        let pieces = (0..<10).map { "piece \($0) " }
        for piece in pieces { try await stream.write(piece) }
        try await stream.finish(Array("the end".utf8))

        let bobs = try await bob.session.conversation(conversation.id)
        var received: [UInt64] = []
        var text = ""
        for try await piece in try await bobs.readStream(stream.message).droppingConnections(after: 3) {
            received.append(piece.index)
            text += piece.text
        }
        #expect(received == Array(0...10))
        #expect(text == pieces.joined() + "the end")
        try await node.stop()
    }
}
