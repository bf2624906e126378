import ArborCore
import ArborOperations
import Testing

/// Listing, batches and data keys against an in-memory store: the rules the node's routes rely on.
@Suite struct KeyringBatchTests {
    let root = RootKey.generate()
    let store = InMemoryKeyringStore()
    var operations: KeyringOperations<InMemoryKeyringStore> { KeyringOperations(store: store) }
    var owner: NodeSecret { get throws { try root.node.descendant(TreePath(parsing: "eu/node-7")) } }
    var origin: TreePath { get throws { try TreePath(parsing: "eu/node-7") } }

    @Test func listSummarisesEveryKeyringInTheStoresOrder() throws {
        _ = try operations.create("payments", owner: try owner, cipher: .chaCha20Poly1305)
        _ = try operations.create("hr", owner: try owner, cipher: .aes256GCM)
        let listed = try operations.list()
        #expect(listed.map(\.name) == ["hr", "payments"])
        #expect(listed.map(\.cipher) == ["aes-256-gcm", "chacha20-poly1305"])
    }

    @Test func aBatchAnswersEachItemInOrderAndABadItemFailsAlone() throws {
        _ = try operations.create("payments", owner: try owner, cipher: .chaCha20Poly1305)
        let sealed = try operations.sealEach(
            "payments",
            [.success(.init([1], context: [9])), .failure(ArborError(.malformedInput, "not base64")), .success(.init([2], context: []))],
            origin: try origin, time: 1_000)
        #expect(sealed.count == 3)
        #expect(throws: ArborError(.malformedInput, "")) { try sealed[1].get() }
        let first = try sealed[0].get().text
        let third = try sealed[2].get().text

        let opened = try operations.openEach(
            "payments", [.success(.init(first, context: [9])), .success(.init(third, context: [7])), .success(.init("junk", context: []))])
        #expect(try opened[0].get() == [1])
        #expect(throws: ArborError(.authenticationFailed, "")) { try opened[1].get() }
        #expect(throws: ArborError.self) { try opened[2].get() }

        _ = try operations.rotate("payments", owner: try owner, descendToOwner: true)
        let rewrapped = try operations.rewrapEach(
            "payments", [.success(.init(first, context: [9])), .success(.init(first, context: [8]))], origin: .replacedBy(try origin),
            time: 2_000)
        #expect(try rewrapped[0].get().provenance.epoch == 2)
        #expect(throws: ArborError(.authenticationFailed, "")) { try rewrapped[1].get() }
    }

    @Test func aBatchIsOneToAThousandItems() throws {
        _ = try operations.create("payments", owner: try owner, cipher: .chaCha20Poly1305)
        let item = KeyringBatch.Read<[UInt8]>.success(.init([1], context: []))
        #expect(try operations.sealEach("payments", Array(repeating: item, count: 1000), origin: try origin, time: 1).count == 1000)
        #expect(throws: ArborError(.limitExceeded, "")) {
            try operations.sealEach("payments", Array(repeating: item, count: 1001), origin: try origin, time: 1)
        }
        #expect(throws: ArborError(.invalidArgument, "")) { try operations.openEach("payments", []) }
        #expect(throws: ArborError(.fileNotFound, "")) { try operations.openEach("absent", [.success(.init("x", context: []))]) }
    }

    @Test func aDataKeyIsThirtyTwoFreshBytesThatItsTokenGivesBack() throws {
        _ = try operations.create("payments", owner: try owner, cipher: .chaCha20Poly1305)
        let first = try operations.dataKey("payments", context: [3], origin: try origin, time: 1)
        let second = try operations.dataKey("payments", context: [3], origin: try origin, time: 1)
        #expect(first.key.count == 32)
        #expect(first.key != second.key)
        let opened = try operations.open("payments", tokenText: first.token.text, context: [3])
        #expect(SecretBytes(copying: opened) == first.key)
    }
}
