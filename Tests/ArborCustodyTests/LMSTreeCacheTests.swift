import ArborCore
import ArborTestSupport
import Foundation
import Synchronization
import Testing

@testable import ArborCustody

/// The tree cache (`docs/custody-formats.md` §3.9): a key restored from it computes no leaf until
/// signing crosses into the next bottom subtree, signs exactly what a key without it signs, and a
/// cache that does not check is ignored and the tree computed, never used.
@Suite("LMS tree cache")
struct LMSTreeCacheTests {
    static func privateBytes(_ parameters: LMSParameters, _ ots: LMOTSParameters, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8]()
        bytes.appendUInt32(parameters.typecode)
        bytes.appendUInt32(ots.typecode)
        return bytes + generator.randomBytes(count: 16) + generator.randomBytes(count: 32)
    }

    /// Counts the progress reports of a tree computation.
    final class ProgressLog: Sendable {
        let reports = Mutex<[Int]>([])
        var callback: LMSTreeProgress { { done, _ in self.reports.withLock { $0.append(done) } } }
        var count: Int { reports.withLock { $0.count } }
        var last: Int? { reports.withLock { $0.last } }
    }

    @Test(arguments: [LMSParameters.sha256M32H5, .sha256M32H10])
    func aRestoredKeyComputesNoLeafAndSignsTheSameSignatures(_ parameters: LMSParameters) throws {
        let bytes = Self.privateBytes(parameters, .sha256N32W4, seed: 11)
        let computing = ProgressLog()
        let uncached = try LMSPrivateKey(privateKeyBytes: bytes, progress: computing.callback)
        #expect(uncached.treeOrigin == .computed)
        #expect(computing.last == Int(parameters.leafCount), "the whole tree is reported")
        #expect(uncached.tree.leavesComputed == Int(parameters.leafCount))
        let cache = uncached.encodedTreeCache()

        let restoring = ProgressLog()
        let cached = try LMSPrivateKey(
            privateKeyBytes: bytes, treeCache: cache, expectedPublicKey: uncached.publicKey, progress: restoring.callback)
        #expect(cached.treeOrigin == .cache)
        #expect(cached.publicKey == uncached.publicKey)
        #expect(restoring.count == 0)
        #expect(cached.tree.leavesComputed == 0)

        // Inside the bottom subtree held (subtree 0), nothing is computed; the signatures are identical.
        let bottom = UInt32(1) << UInt32(parameters.height / 2)
        for leaf in [0, 1, bottom - 1] {
            let signature = try cached.sign([7, UInt8(truncatingIfNeeded: leaf)], leaf: leaf)
            #expect(signature == (try uncached.sign([7, UInt8(truncatingIfNeeded: leaf)], leaf: leaf)))
            #expect(uncached.publicKey.isValidSignature(signature, for: [7, UInt8(truncatingIfNeeded: leaf)]))
        }
        #expect(cached.tree.leavesComputed == 0)
        #expect(cached.treeCacheRevision == 0)

        // Crossing into the next subtree computes that one subtree, once.
        for leaf in [bottom, bottom + 1] {
            let signature = try cached.sign([8], leaf: leaf)
            #expect(signature == (try uncached.sign([8], leaf: leaf)))
            #expect(uncached.publicKey.isValidSignature(signature, for: [8]))
        }
        #expect(cached.tree.leavesComputed == Int(bottom))
        #expect(cached.treeCacheRevision == 1)

        // The rewritten cache holds subtree 1: a key restored from it signs there without computing.
        let next = try LMSPrivateKey(privateKeyBytes: bytes, treeCache: cached.encodedTreeCache(), expectedPublicKey: uncached.publicKey)
        #expect(next.treeOrigin == .cache)
        #expect(try next.sign([9], leaf: bottom + 2) == (try uncached.sign([9], leaf: bottom + 2)))
        #expect(next.tree.leavesComputed == 0)
    }

    @Test func theCacheHasTheDocumentedLayout() throws {
        let bytes = Self.privateBytes(.sha256M32H10, .sha256N32W4, seed: 12)
        let key = try LMSPrivateKey(privateKeyBytes: bytes)
        let cache = key.encodedTreeCache()
        // 34 header bytes, 2^5 upper nodes, 2^5 subtree leaves, a 32-byte tag.
        #expect(cache.count == 34 + 32 * 32 + 32 * 32 + 32)
        #expect(Array(cache[0..<5]) == Array("AHST".utf8) + [1])
        #expect(Array(cache[13..<29]) == key.identifier)
        #expect(Array(cache[5..<13]) == [0, 0, 0, 6, 0, 0, 0, 3])
        #expect(cache[29] == 5)
        #expect(Array(cache[30..<34]) == [0, 0, 0, 0])
    }

    @Test func aCacheThatDoesNotCheckIsIgnoredAndTheTreeComputed() throws {
        let bytes = Self.privateBytes(.sha256M32H10, .sha256N32W2, seed: 13)
        let key = try LMSPrivateKey(privateKeyBytes: bytes)
        let cache = key.encodedTreeCache()
        let other = try LMSPrivateKey(privateKeyBytes: Self.privateBytes(.sha256M32H10, .sha256N32W2, seed: 14))

        var cases: [(String, [UInt8], String)] = [
            ("empty", [], "not an Arbor LMS tree cache"),
            ("truncated", Array(cache.prefix(cache.count - 1)), "bytes, not"),
            ("another key's", other.encodedTreeCache(), "another key"),
        ]
        // A flipped bit anywhere: header, an upper node, a subtree leaf, the tag.
        let flips = [
            (2, "not an Arbor LMS tree cache"), (31, "layout"), (33, "MAC does not match"), (40, "MAC does not match"),
            (34 + 32 * 32 + 5, "MAC does not match"), (cache.count - 1, "MAC does not match"),
        ]
        for (offset, reason) in flips {
            var flipped = cache
            flipped[offset] ^= 0x10
            cases.append(("bit flip at \(offset)", flipped, reason))
        }
        for (name, damaged, reason) in cases {
            let log = ProgressLog()
            let restored = try LMSPrivateKey(
                privateKeyBytes: bytes, treeCache: damaged, expectedPublicKey: key.publicKey, progress: log.callback)
            guard case .computedRejectingCache(let why) = restored.treeOrigin else {
                Issue.record("\(name): the cache was used")
                continue
            }
            #expect(why.contains(reason), "\(name): \(why)")
            #expect(log.last == 1024, "\(name): the tree is computed instead")
            #expect(restored.publicKey == key.publicKey)
            let signature = try restored.sign([1], leaf: 3)
            #expect(signature == (try key.sign([1], leaf: 3)))
        }
    }

    @Test func aCacheWhoseRootIsNotThePublicKeyIsNotUsed() throws {
        let bytes = Self.privateBytes(.sha256M32H5, .sha256N32W4, seed: 15)
        let key = try LMSPrivateKey(privateKeyBytes: bytes)
        let other = try LMSPrivateKey(privateKeyBytes: Self.privateBytes(.sha256M32H5, .sha256N32W4, seed: 16))
        let restored = try LMSPrivateKey(privateKeyBytes: bytes, treeCache: key.encodedTreeCache(), expectedPublicKey: other.publicKey)
        #expect(restored.treeOrigin == .computedRejectingCache("its root is not the key's public key"))
    }

    @Test func anHSSKeyFileReadsItsTreeFromTheCache() throws {
        var generator = SplitMix64(seed: 17)
        let key = try LMSPrivateKey.generate(parameters: .sha256M32H5, otsParameters: .sha256N32W8, using: &generator)
        let file = try HSSKeyFile(top: key, levels: 1)
        let log = ProgressLog()
        let reread = try HSSKeyFile(armored: file.armored, treeCache: key.encodedTreeCache(), progress: log.callback)
        #expect(reread.key.treeOrigin == .cache)
        #expect(log.count == 0)
        let uncached = try HSSKeyFile(armored: file.armored)
        #expect(uncached.key.treeOrigin == .computed)
        let state = LMSLeafState(for: key)
        let (reservation, _) = try state.reserve(count: 1)
        let signature = try reread.signer().sign([5], using: reservation)
        #expect(try uncached.signer().sign([5], leaf: 0) == signature)
        #expect(file.publicKey!.isValidSignature(signature, for: [5]))
    }
}
