import ArborCore
import ArborCustody
import ArborOperations
import Synchronization
import Testing

/// The tree cache through the operations: a load without a cache computes the tree and stores it,
/// the next load computes nothing, signing into the next bottom subtree rewrites it; the keygen
/// warning is given for keys that take long to make.
@Suite struct HSSTreeCacheTests {
    final class LeafCounter: Sendable {
        let leaves = Mutex(0)
        var callback: LMSTreeProgress { { done, _ in self.leaves.withLock { $0 = done } } }
        var count: Int { leaves.withLock { $0 } }
    }

    @Test func theSecondLoadComputesNoLeafAndSigningRewritesTheCacheWhenItMovesOn() throws {
        let plan = try HSSKeyPlan(height: 10, winternitz: 4, levels: 1, node: false, nodeKeyGiven: false, chainGiven: false)
        let (key, file, _) = try plan.generate(time: 0)
        let store = InMemoryLeafStateStore(key: file.armored, state: LMSLeafState(for: key).encoded)

        let first = LeafCounter()
        _ = try HSSSigningKey(store: store, progress: first.callback).load()
        #expect(first.count == 1024, "without a cache the whole tree is computed")
        let stored = try #require(store.treeCache)

        let second = LeafCounter()
        var session = try HSSSigningSession(key: HSSSigningKey(store: store, progress: second.callback), batch: 40)
        var signatures = [HSSSignature]()
        for index in 0..<32 { signatures.append(try session.sign([UInt8(index)])) }
        #expect(second.count == 0, "the cached tree is used")
        #expect(store.treeCache == stored, "leaves 0…31 are in the subtree held: the cache is unchanged")
        signatures.append(try session.sign([32]))
        #expect(store.treeCache != stored, "leaf 32 is in the next subtree: the cache is rewritten")
        for (index, signature) in signatures.enumerated() {
            #expect(file.publicKey!.isValidSignature(signature, for: [UInt8(index)]))
        }
    }

    @Test func aDamagedCacheIsNoticedAndReplaced() throws {
        let plan = try HSSKeyPlan(height: 5, winternitz: 4, levels: 1, node: false, nodeKeyGiven: false, chainGiven: false)
        let (key, file, _) = try plan.generate(time: 0)
        let store = InMemoryLeafStateStore(key: file.armored, state: LMSLeafState(for: key).encoded)
        var damaged = key.encodedTreeCache()
        damaged[50] ^= 1
        store.treeCache = damaged
        let notices = Mutex<[String]>([])
        _ = try HSSSigningKey(store: store, notice: { text in notices.withLock { $0.append(text) } }).load()
        #expect(notices.withLock { $0 }.count == 1)
        #expect(notices.withLock { $0 }.first?.contains("MAC does not match") == true)
        #expect(store.treeCache == key.encodedTreeCache())
    }

    @Test func keygenWarnsOnlyWhenItTakesLong() throws {
        func plan(_ height: Int, _ winternitz: Int) throws -> HSSKeyPlan {
            try HSSKeyPlan(height: height, winternitz: winternitz, levels: 1, node: false, nodeKeyGiven: false, chainGiven: false)
        }
        #expect(try plan(10, 4).durationWarning == nil)
        #expect(try plan(5, 8).durationWarning == nil)
        let h15 = try #require(try plan(15, 4).durationWarning)
        #expect(h15.contains("seconds"), "\(h15)")
        let h20 = try #require(try plan(20, 4).durationWarning)
        #expect(h20.contains("minutes") && h20.contains("1048576 one-time keys"), "\(h20)")
    }
}
