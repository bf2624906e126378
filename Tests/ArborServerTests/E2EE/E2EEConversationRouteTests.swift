import ArborCore
import ArborE2EE
import ArborTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import ArborServer

/// Conversations, envelopes and messages under `/v1/e2ee` through the real router, with envelopes
/// and messages made by ArborE2EE, against every store kind.
@Suite("E2EE conversation routes", .postgresServer)
struct E2EEConversationRouteTests {
    /// A node with Alice, Bob and Carol signed up and signed in.
    static func people(_ kind: E2EEStoreKind) async throws -> (
        TestNode, alice: E2EETestAccount, bob: E2EETestAccount, carol: E2EETestAccount
    ) {
        let node = try await TestNode(e2ee: kind)
        return (node, try E2EETestAccount("alice"), try E2EETestAccount("bob"), try E2EETestAccount("carol"))
    }

    static func sessions(_ client: some TestClientProtocol, _ accounts: E2EETestAccount...) async throws -> [String] {
        var sessions: [String] = []
        for account in accounts {
            try await client.signUp(account)
            sessions.append(try await client.signIn(account))
        }
        return sessions
    }

    @Test("create a conversation; list and read it as a participant; others are refused", arguments: E2EEStoreKind.available)
    func create(kind: E2EEStoreKind) async throws {
        let (node, alice, bob, carol) = try await Self.people(kind)
        try await node.test { client in
            let s = try await Self.sessions(client, alice, bob, carol)
            let conversation = try E2EETestConversation(creator: alice)
            let envelopes = [try conversation.envelope(for: alice), try conversation.envelope(for: bob)]
            let created = try await client.e2ee(.post, "conversations", session: s[0], json: conversation.createJSON(envelopes: envelopes))
            #expect(created.status == .created, "\(created.text)")
            #expect(try created.json()["conversation"] as? String == conversation.id.hex)

            let again = try await client.e2ee(.post, "conversations", session: s[0], json: conversation.createJSON(envelopes: envelopes))
            #expect(again.status == .conflict)

            for session in [s[0], s[1]] {
                let list = try await client.e2ee(.get, "conversations", session: session)
                #expect(try list.json()["conversations"] as? [String] == [conversation.id.hex])
                let read = try await client.e2ee(.get, "conversations/\(conversation.id.hex)", session: session)
                #expect(read.status == .ok)
                let body = try read.json()
                #expect(body["creator"] as? String == alice.id.hex)
                #expect(body["nonce"] as? String == Base64URL.encode(conversation.nonce))
                #expect(body["envelopes"] as? [String] == envelopes)
            }
            #expect(try await client.e2ee(.get, "conversations", session: s[2]).json()["conversations"] as? [String] == [])
            let outsider = try await client.e2ee(.get, "conversations/\(conversation.id.hex)", session: s[2])
            #expect(outsider.status == .forbidden)
            #expect(try outsider.errorCode() == "permission_denied")
            #expect(
                try await client.e2ee(.get, "conversations/\(ConversationID(bytes: randomBytes(16)).hex)", session: s[0]).status
                    == .notFound)
            #expect(try await client.e2ee(.get, "conversations/\(conversation.id.hex)").status == .unauthorized)
        }
    }

    @Test(
        "creation refuses an id not derived from the caller, another adder, a bad signature, other epochs, no envelope for the creator",
        arguments: E2EEStoreKind.available)
    func createRefusals(kind: E2EEStoreKind) async throws {
        let (node, alice, bob, _) = try await Self.people(kind)
        try await node.test { client in
            let s = try await Self.sessions(client, alice, bob)
            let conversation = try E2EETestConversation(creator: alice)
            let mine = try conversation.envelope(for: alice)
            func create(_ body: String, session: String? = nil) async throws -> TestResponse {
                try await client.e2ee(.post, "conversations", session: session ?? s[0], json: body)
            }
            // Bob presents Alice's conversation as his own: the id is not his.
            let bobs = try await create(conversation.createJSON(envelopes: [mine]), session: s[1])
            #expect(bobs.status == .conflict || bobs.status == .forbidden)
            #expect(try await create(conversation.createJSON(envelopes: [mine], nonce: randomBytes(16))).status == .conflict)

            let byBob = try conversation.envelope(for: bob, by: bob)
            let otherAdder = try await create(conversation.createJSON(envelopes: [mine, byBob]))
            #expect(otherAdder.status == .forbidden)
            let forged = try conversation.envelope(for: bob, signer: bob)
            let badSignature = try await create(conversation.createJSON(envelopes: [mine, forged]))
            #expect(badSignature.status == .badRequest)
            #expect(try badSignature.errorCode() == "authentication_failed")
            #expect(
                try await create(conversation.createJSON(envelopes: [mine, try conversation.envelope(for: bob, epoch: 1)])).status
                    == .conflict)
            #expect(
                try await create(conversation.createJSON(envelopes: [try conversation.envelope(for: bob)])).status == .unprocessableContent)
            #expect(try await create(conversation.createJSON(envelopes: [mine, mine])).status == .conflict)
            #expect(try await create(conversation.createJSON(envelopes: [])).status == .unprocessableContent)
            #expect(
                try await create(conversation.createJSON(envelopes: [Base64URL.encode(randomBytes(100))])).status == .unprocessableContent)
            // Nothing of that was stored.
            #expect(try await client.e2ee(.get, "conversations/\(conversation.id.hex)", session: s[0]).status == .notFound)
        }
    }

    @Test(
        "envelopes: a member adds to the newest epoch or opens the next one, once; others are refused", arguments: E2EEStoreKind.available)
    func envelopes(kind: E2EEStoreKind) async throws {
        let (node, alice, bob, carol) = try await Self.people(kind)
        try await node.test { client in
            let s = try await Self.sessions(client, alice, bob, carol)
            let conversation = try E2EETestConversation(creator: alice)
            let path = "conversations/\(conversation.id.hex)/envelopes"
            #expect(
                try await client.e2ee(
                    .post, "conversations", session: s[0],
                    json: conversation.createJSON(envelopes: [try conversation.envelope(for: alice), try conversation.envelope(for: bob)])
                ).status == .created)

            // Carol, not a member, cannot add herself.
            let selfAdded = try await client.e2ee(
                .post, path, session: s[2], json: json(["envelopes": [try conversation.envelope(for: carol, by: carol)]]))
            #expect(selfAdded.status == .forbidden)
            // Bob adds Carol to epoch 0.
            let added = try await client.e2ee(
                .post, path, session: s[1], json: json(["envelopes": [try conversation.envelope(for: carol, by: bob)]]))
            #expect(added.status == .noContent, "\(added.text)")
            #expect(
                try await client.e2ee(
                    .post, path, session: s[1], json: json(["envelopes": [try conversation.envelope(for: carol, by: bob)]])
                ).status == .conflict)

            // Alice removes Bob: epoch 1 for Alice and Carol. Bob, racing, cannot open epoch 1 again.
            let next = EpochKey.random()
            let opening = [
                try conversation.envelope(for: alice, epoch: 1, key: next), try conversation.envelope(for: carol, epoch: 1, key: next),
            ]
            // Opening an epoch without a key for oneself (leaving) is refused: that epoch would count
            // for nothing in the clients and block every later removal.
            let leaving = [try conversation.envelope(for: carol, epoch: 1, key: next)]
            #expect(try await client.e2ee(.post, path, session: s[0], json: json(["envelopes": leaving])).status == .unprocessableContent)
            #expect(try await client.e2ee(.post, path, session: s[0], json: json(["envelopes": opening])).status == .noContent)
            // Bob, removed, still holds epoch 0's key: the node takes nothing more from him, and
            // Alice writes in the newest epoch only.
            let fromBob = try conversation.message(from: bob, text: "still here", sequence: 1)
            #expect(try await client.post(fromBob, to: conversation.id, session: s[1]).status == .conflict)
            let stale = try conversation.message(from: alice, text: "old epoch", sequence: 1)
            #expect(try await client.post(stale, to: conversation.id, session: s[0]).status == .conflict)
            let current = try conversation.message(from: alice, text: "new epoch", epoch: 1, key: next, sequence: 1)
            #expect(try await client.post(current, to: conversation.id, session: s[0]).status == .created)
            let racing = [try conversation.envelope(for: bob, epoch: 1, key: EpochKey.random(), by: bob)]
            #expect(try await client.e2ee(.post, path, session: s[1], json: json(["envelopes": racing])).status == .forbidden)
            let reopened = [try conversation.envelope(for: bob, epoch: 1, key: EpochKey.random())]
            // Adding Bob back to the newest epoch works; opening it twice would not.
            let twice = try await client.e2ee(
                .post, path, session: s[0],
                json: json(["envelopes": [try conversation.envelope(for: carol, epoch: 1, key: EpochKey.random())]]))
            #expect(twice.status == .conflict)
            #expect(try await client.e2ee(.post, path, session: s[0], json: json(["envelopes": reopened])).status == .noContent)
            // Skipping an epoch, mixing epochs, and another conversation's envelope are refused.
            #expect(
                try await client.e2ee(
                    .post, path, session: s[0], json: json(["envelopes": [try conversation.envelope(for: bob, epoch: 3)]])
                ).status == .conflict)
            let mixed = [try conversation.envelope(for: alice, epoch: 2), try conversation.envelope(for: bob, epoch: 1)]
            #expect(try await client.e2ee(.post, path, session: s[0], json: json(["envelopes": mixed])).status == .unprocessableContent)
            let elsewhere = try conversation.envelope(for: bob, epoch: 2, conversation: try ConversationID(bytes: randomBytes(16)))
            #expect(try await client.e2ee(.post, path, session: s[0], json: json(["envelopes": [elsewhere]])).status == .conflict)

            let all = try await client.e2ee(.get, "conversations/\(conversation.id.hex)", session: s[2]).json()["envelopes"] as? [String]
            #expect(all?.count == 6)
            #expect(
                try await client.e2ee(.get, "conversations", session: s[2]).json()["conversations"] as? [String] == [conversation.id.hex])
        }
    }

    @Test("messages: a member posts in an epoch it holds, as itself, signed; the node numbers them", arguments: E2EEStoreKind.available)
    func messages(kind: E2EEStoreKind) async throws {
        let (node, alice, bob, carol) = try await Self.people(kind)
        try await node.test { client in
            let s = try await Self.sessions(client, alice, bob, carol)
            let conversation = try E2EETestConversation(creator: alice)
            #expect(
                try await client.e2ee(
                    .post, "conversations", session: s[0],
                    json: conversation.createJSON(envelopes: [try conversation.envelope(for: alice), try conversation.envelope(for: bob)])
                ).status == .created)
            let first = try conversation.message(from: alice, text: "hi bob")
            let posted = try await client.post(first, to: conversation.id, session: s[0])
            #expect(posted.status == .created, "\(posted.text)")
            #expect(try posted.json()["position"] as? Int == 1)
            let second = try conversation.message(from: bob, text: "hi alice")
            #expect(try await client.post(second, to: conversation.id, session: s[1]).json()["position"] as? Int == 2)

            // The same id again, another sender's name, another epoch, a forged signature, a non-member.
            let duplicate = try await client.post(
                try conversation.message(from: alice, id: first.header.id, sequence: 2), to: conversation.id, session: s[0])
            #expect(duplicate.status == .conflict)
            let impostor = try await client.post(try conversation.message(from: alice, signer: bob), to: conversation.id, session: s[1])
            #expect(impostor.status == .forbidden)
            let forged = try await client.post(try conversation.message(from: bob, signer: alice), to: conversation.id, session: s[1])
            #expect(forged.status == .badRequest)
            #expect(try forged.errorCode() == "authentication_failed")
            #expect(
                try await client.post(try conversation.message(from: alice, epoch: 1), to: conversation.id, session: s[0]).status
                    == .forbidden)
            #expect(try await client.post(try conversation.message(from: carol), to: conversation.id, session: s[2]).status == .forbidden)
            let other = try E2EETestConversation(creator: alice)
            #expect(try await client.post(try other.message(from: alice), to: conversation.id, session: s[0]).status == .conflict)
            let garbage = try await client.e2ee(
                .post, "conversations/\(conversation.id.hex)/messages", session: s[0],
                json: json(["message": Base64URL.encode(randomBytes(50))]))
            #expect(garbage.status == .unprocessableContent)

            let path = "conversations/\(conversation.id.hex)/messages"
            let all = try #require(try await client.e2ee(.get, path, session: s[1]).json()["messages"] as? [[String: Any]])
            #expect(all.map { $0["position"] as? Int } == [1, 2])
            #expect(all.first?["message"] as? String == Base64URL.encode(first.bytes))
            let page = try #require(
                try await client.e2ee(.get, path + "?after=1&limit=1", session: s[0]).json()["messages"] as? [[String: Any]])
            #expect(page.map { $0["position"] as? Int } == [2])
            #expect(try await client.e2ee(.get, path + "?limit=0", session: s[0]).status == .unprocessableContent)
            #expect(try await client.e2ee(.get, path + "?after=x", session: s[0]).status == .badRequest)
            #expect(try await client.e2ee(.get, path, session: s[2]).status == .forbidden)

            // What the node returns opens for a member.
            let stored = try SealedMessage(bytes: try decodedBytes(all.last?["message"]))
            #expect(try stored.open(epochKey: conversation.key) == Array("hi alice".utf8))
        }
    }
}

extension E2EEConversationRouteTests {
    @Test("a conversation is deleted by its creator only, with everything in it", arguments: E2EEStoreKind.available)
    func delete(kind: E2EEStoreKind) async throws {
        let (node, alice, bob, _) = try await Self.people(kind)
        try await node.test { client in
            let s = try await Self.sessions(client, alice, bob)
            let conversation = try E2EETestConversation(creator: alice)
            let envelopes = [try conversation.envelope(for: alice), try conversation.envelope(for: bob)]
            let path = "conversations/\(conversation.id.hex)"
            #expect(
                try await client.e2ee(.post, "conversations", session: s[0], json: conversation.createJSON(envelopes: envelopes)).status
                    == .created)
            let byMember = try await client.e2ee(.delete, path, session: s[1])
            #expect(byMember.status == .forbidden)
            #expect(try await client.e2ee(.delete, path).status == .unauthorized)
            #expect(try await client.e2ee(.delete, path, session: s[0]).status == .noContent)
            #expect(try await client.e2ee(.get, path, session: s[0]).status == .notFound)
            #expect(try await client.e2ee(.get, "conversations", session: s[1]).json()["conversations"] as? [String] == [])
            #expect(try await client.e2ee(.delete, path, session: s[0]).status == .notFound)
        }
    }
}
