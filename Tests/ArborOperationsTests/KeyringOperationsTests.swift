import ArborCore
import ArborOperations
import Testing

/// The keyring use cases against an in-memory store: the rules hold without any file.
@Suite struct KeyringOperationsTests {
    let root = RootKey.generate()
    let store = InMemoryKeyringStore()
    var operations: KeyringOperations<InMemoryKeyringStore> { KeyringOperations(store: store) }
    var owner: NodeSecret { get throws { try root.node.descendant(TreePath(parsing: "eu/node-7")) } }

    @Test func createNamesTheKeyringAfterItsReferenceAndRefusesASecond() throws {
        let summary = try operations.create("payments", owner: try owner, cipher: .aes256GCM)
        #expect(summary.name == "payments")
        #expect(summary.owner == "eu/node-7")
        #expect(summary.cipher == "aes-256-gcm")
        #expect(summary.activeEpoch == 1 && summary.minimumEpoch == 1 && summary.heldEpochs == [1])
        #expect(summary.file == "memory:payments")
        #expect(throws: ArborError(.fileExists, "")) { try operations.create("payments", owner: try owner, cipher: .aes256GCM) }
        #expect(store.writes == 1)
    }

    @Test func rotateFromAboveDescendsToTheOwnerOnlyWhenAsked() throws {
        _ = try operations.create("payments", owner: try owner, cipher: .chaCha20Poly1305)
        let rotated = try operations.rotate("payments", owner: root.node, descendToOwner: true)
        #expect(rotated.activeEpoch == 2 && rotated.heldEpochs == [1, 2])
        // Without the descent, the root's own secret is not the owner's: refused, nothing stored.
        #expect(throws: ArborError.self) { try operations.rotate("payments", owner: root.node, descendToOwner: false) }
        #expect(try operations.summary("payments").activeEpoch == 2)
    }

    @Test func retireStoresOnlyWhenTheMinimumMoves() throws {
        _ = try operations.create("payments", owner: try owner, cipher: .chaCha20Poly1305)
        _ = try operations.rotate("payments", owner: try owner, descendToOwner: true)
        let writes = store.writes
        let first = try operations.retire("payments", below: 2)
        #expect(first.retired && first.previousMinimum == 1 && first.summary.minimumEpoch == 2 && first.summary.heldEpochs == [2])
        #expect(store.writes == writes + 1)
        let again = try operations.retire("payments", below: 2)
        #expect(!again.retired && again.previousMinimum == 2)
        #expect(store.writes == writes + 1)
        #expect(throws: ArborError(.invalidArgument, "")) { try operations.retire("payments", below: 0) }
    }

    @Test func sealOpenAndRewrapThroughTheStore() throws {
        _ = try operations.create("payments", owner: try owner, cipher: .chaCha20Poly1305)
        let origin = try TreePath(parsing: "eu/node-7")
        let token = try operations.seal("payments", plaintext: Array("card 4111".utf8), context: [1], origin: origin, time: 1_000)
        #expect(try operations.open("payments", tokenText: token.text, context: [1]) == Array("card 4111".utf8))
        #expect(throws: ArborError.self) { try operations.open("payments", tokenText: token.text, context: [2]) }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try operations.open("payments", tokenText: token.text + " " + token.text, context: [1])
        }

        _ = try operations.rotate("payments", owner: try owner, descendToOwner: true)
        let results = try operations.rewrapBatch(
            "payments", tokens: [token.text, "arbor:v1:not-a-token"], context: [1], origin: .replacedBy(origin), time: { 2_000 })
        #expect(results.count == 2)
        let rewrapped = try results[0].get()
        #expect(rewrapped.provenance.epoch == 2)
        #expect(try operations.open("payments", tokenText: rewrapped.text, context: [1]) == Array("card 4111".utf8))
        #expect(throws: ArborError.self) { try results[1].get() }
    }

    @Test func aReplayedTokenIsRefusedAndTheGuardIsStoredBeforeThePlaintextLeaves() throws {
        _ = try operations.create("payments", owner: try owner, cipher: .chaCha20Poly1305)
        let time: Int64 = 1_700_000_000_000
        let token = try operations.seal("payments", plaintext: [7], context: [], origin: try TreePath(parsing: "eu/node-7"), time: time)
        let state = InMemoryStateStore()
        let check = try ReplayCheck(store: state, windowSeconds: 300, now: time)
        #expect(try operations.open("payments", tokenText: token.text, context: [], replay: check) == [7])
        #expect(state.state != nil)
        #expect(throws: ArborError(.replayed, "")) { try operations.open("payments", tokenText: token.text, context: [], replay: check) }
        #expect(throws: ArborError(.invalidArgument, "")) { try ReplayCheck(store: state, windowSeconds: 0, now: time) }
    }

    @Test func aMissingKeyringIsNotFound() throws {
        #expect(throws: ArborError(.fileNotFound, "")) { try operations.summary("nope") }
        #expect(ArborError(.fileNotFound, "").category == .notFound)
    }
}
