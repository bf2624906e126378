import ArborCore
import ArborCustody
import ArborOperations
import Testing

/// What `hss keygen`, `sign`, `burn` and `info` report, from the operations alone (no files).
@Suite struct HSSSummaryTests {
    /// A 2-level top key of height 5 (32 leaves), and its store.
    static func topKey() throws -> (plan: HSSKeyPlan, key: LMSPrivateKey, file: HSSKeyFile, store: InMemoryLeafStateStore) {
        let plan = try HSSKeyPlan(height: 5, winternitz: 8, levels: 2, node: false, nodeKeyGiven: false, chainGiven: false)
        let (key, file, _) = try plan.generate(time: 0)
        return (plan, key, file, InMemoryLeafStateStore(key: file.armored, state: LMSLeafState(for: key).encoded))
    }

    @Test func keygenSummariesATopKeyAndANodeKey() throws {
        let (plan, key, _, _) = try Self.topKey()
        let top = HSSKeygenSummary(plan: plan, key: key, request: nil, keyFile: "c.hss", stateFile: "c.hss.state", publicFile: "c.pub")
        #expect(top.levels == 2)
        #expect(top.leaves == 32)
        #expect(top.identifier == Hex.encode(key.identifier))
        #expect(top.role == "top of a 2-level HSS key: enrolls the level below")

        let nodePlan = try HSSKeyPlan(height: 5, winternitz: 8, levels: 1, node: true, nodeKeyGiven: true, chainGiven: true)
        let node = HSSKeygenSummary(
            plan: nodePlan, key: key, request: nil, keyFile: "n.hss", stateFile: "n.hss.state", publicFile: "n.request")
        // A node key learns its level on enrollment: none is reported before.
        #expect(node.levels == nil)
    }

    @Test func aKeyFileIsDescribedWithItsLeafState() throws {
        let (_, key, file, store) = try Self.topKey()
        let signingKey = HSSSigningKey(store: store)
        _ = try signingKey.burn(.to(3))
        let info = try HSSFileDescription(describing: Array(file.armored.utf8), named: "c.hss", signingKey: signingKey)
        #expect(info.kind == "HSS key file: enrolls the level below")
        #expect((info.levels, info.level) == (2, 1))
        #expect(info.identifier == Hex.encode(key.identifier))
        #expect((info.leafCount, info.nextLeaf, info.remainingLeaves) == (32, 3, 29))
    }

    @Test func publicFilesAreDescribedInBinaryAndHex() throws {
        let (_, key, file, store) = try Self.topKey()
        let signingKey = HSSSigningKey(store: store)
        let publicKey = try #require(file.publicKey)
        for raw in [publicKey.bytes, Array((Hex.encode(publicKey.bytes) + "\n").utf8)] {
            let info = try HSSFileDescription(describing: raw, named: "c.pub", signingKey: signingKey)
            #expect(info.kind == "HSS public key")
            #expect(info.levels == 2)
            #expect(info.identifier == Hex.encode(key.identifier))
            #expect(info.nextLeaf == nil)
        }
        let state = try HSSFileDescription(describing: LMSLeafState(for: key).encoded, named: "c.state", signingKey: signingKey)
        #expect(state.kind == "LMS leaf state")
        #expect((state.nextLeaf, state.remainingLeaves) == (0, 32))
    }

    @Test func anythingElseIsMalformed() throws {
        let (_, _, _, store) = try Self.topKey()
        #expect(throws: ArborError(.malformedInput, "")) {
            try HSSFileDescription(describing: Array("hello".utf8), named: "x", signingKey: HSSSigningKey(store: store))
        }
    }

    @Test func burnAndVerificationSummaries() throws {
        let (_, _, _, store) = try Self.topKey()
        let state = try HSSSigningKey(store: store).burn(.skipping(5))
        let burned = HSSBurnSummary(state, stateFile: "s")
        #expect((burned.nextLeaf, burned.remainingLeaves) == (5, 27))
        let verified = HSSVerificationSummary(leaves: [4, 9])
        #expect(verified.valid && verified.verified == 2 && verified.leaves == [4, 9])
    }
}
