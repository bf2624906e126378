import Dispatch
import Synchronization

/// Reports the leaves of a Merkle tree computed so far, out of how many: `(done, total)`.
/// Called from the worker threads (one call at a time), so the receiver only records or throttles.
public typealias LMSTreeProgress = @Sendable (_ done: Int, _ total: Int) -> Void

/// The Merkle tree of an LMS key (RFC 8554 section 5.3), kept as what signing needs: the upper
/// levels (depth 0 … h − b, every node at height ≥ b) and one bottom subtree of height b = ⌊h/2⌋,
/// the one that holds the leaves being used.
///
/// A signature's authentication path takes its lower b siblings from the bottom subtree and the
/// rest from the upper levels. When signing crosses into the next bottom subtree, that subtree
/// (2^b leaves) is recomputed: for H20 that is 1024 of the 2^20 leaves. The whole tree is computed
/// only when no cache (``LMSTreeCache``) is given. Memory: 2^(h−b+1) + 2^(b+1) nodes of 32 bytes
/// (128 KiB for H20).
final class LMSTree: Sendable {
    let parameters: LMSParameters
    let otsParameters: LMOTSParameters
    let identifier: [UInt8]
    /// b: the height of the bottom subtrees.
    let bottomHeight: Int
    /// upper[d] holds the 2^d nodes at depth d (node numbers 2^d … 2^(d+1) − 1), 32 bytes each, for d = 0 … h − b.
    let upper: [[UInt8]]
    private let bottom: Mutex<Subtree>
    /// Leaves (LM-OTS public keys) computed by this tree since it was made: tests count them.
    private let computedLeaves: Mutex<Int>

    /// One bottom subtree: its number among the 2^(h−b) subtrees, levels[0] its leaves … levels[b] its root.
    struct Subtree {
        let index: UInt32
        let levels: [[UInt8]]
    }

    /// The bottom height of this implementation: half the tree, so that neither the upper levels
    /// nor a subtree is large.
    static func defaultBottomHeight(for parameters: LMSParameters) -> Int { parameters.height / 2 }

    /// Computes the whole tree (2^h leaves, spread over the cores) and keeps subtree 0.
    /// `bottomHeight` other than the default is for tests.
    init(
        parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], seed: [UInt8],
        bottomHeight: Int? = nil, progress: LMSTreeProgress? = nil
    ) {
        self.parameters = parameters
        self.otsParameters = otsParameters
        self.identifier = identifier
        let bottomHeight = max(0, min(parameters.height, bottomHeight ?? Self.defaultBottomHeight(for: parameters)))
        self.bottomHeight = bottomHeight
        let upperDepth = parameters.height - bottomHeight
        let subtreeCount = 1 << upperDepth
        let total = Int(parameters.leafCount)
        let done = Mutex(0)

        var roots = [UInt8](repeating: 0, count: subtreeCount * LMSParameters.m)
        let firstBox = Mutex<Subtree?>(nil)
        let chunkCount = min(subtreeCount, 64)
        // Subtrees are independent, so split them across the cores; each chunk owns its slice.
        roots.withUnsafeMutableBufferPointer { buffer in
            let output = DisjointWrites(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                let start = subtreeCount * chunk / chunkCount
                let end = subtreeCount * (chunk + 1) / chunkCount
                for index in start..<end {
                    let subtree = Self.subtree(
                        UInt32(index), bottomHeight: bottomHeight, parameters: parameters, otsParameters: otsParameters,
                        identifier: identifier, seed: seed)
                    output.write(subtree.levels[bottomHeight], at: index * LMSParameters.m)
                    if index == 0 { firstBox.withLock { $0 = subtree } }
                    done.withLock { count in
                        count += 1 << bottomHeight
                        progress?(count, total)
                    }
                }
            }
        }
        upper = Self.upperLevels(fromDepth: upperDepth, nodes: roots, identifier: identifier)
        // Subtree 0 was computed by the first chunk; concurrentPerform has returned, so it is there.
        bottom = Mutex(firstBox.withLock { $0 }!)
        computedLeaves = Mutex(total)
    }

    /// A tree restored from its upper levels and one subtree, already checked (``LMSTreeCache``).
    init(
        parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], bottomHeight: Int, upper: [[UInt8]],
        subtree: Subtree
    ) {
        self.parameters = parameters
        self.otsParameters = otsParameters
        self.identifier = identifier
        self.bottomHeight = bottomHeight
        self.upper = upper
        bottom = Mutex(subtree)
        computedLeaves = Mutex(0)
    }

    /// T[1].
    var root: [UInt8] { upper[0] }

    /// The bottom subtree held now.
    var currentSubtree: Subtree { bottom.withLock { $0 } }

    /// Leaves computed since this tree was made or restored.
    var leavesComputed: Int { computedLeaves.withLock { $0 } }

    /// The authentication path of leaf q: the sibling of each node from the leaf upward. If q is
    /// outside the bottom subtree held, its subtree is computed first and held from then on.
    func authenticationPath(leaf q: UInt32, seed: [UInt8]) -> [[UInt8]] {
        let height = parameters.height
        let leafNumber = parameters.leafCount + q
        let index = q >> UInt32(bottomHeight)
        let subtree = bottom.withLock { held in
            if held.index != index {
                held = Self.subtree(
                    index, bottomHeight: bottomHeight, parameters: parameters, otsParameters: otsParameters, identifier: identifier,
                    seed: seed)
                computedLeaves.withLock { $0 += 1 << bottomHeight }
            }
            return held
        }
        return (0..<height).map { level in
            let sibling = (leafNumber >> UInt32(level)) ^ 1
            if level >= bottomHeight {
                let depth = height - level
                return Self.node(sibling - (1 << UInt32(depth)), in: upper[depth])
            }
            let firstAtLevel = (leafNumber >> UInt32(bottomHeight)) << UInt32(bottomHeight - level)
            return Self.node(sibling - firstAtLevel, in: subtree.levels[level])
        }
    }

    static func node(_ offset: UInt32, in level: [UInt8]) -> [UInt8] {
        let start = Int(offset) * LMSParameters.m
        return Array(level[start..<(start + LMSParameters.m)])
    }

    /// Bottom subtree number `index`: its 2^b leaves, computed from the SEED, and the levels above them.
    static func subtree(
        _ index: UInt32, bottomHeight: Int, parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8],
        seed: [UInt8]
    ) -> Subtree {
        let firstLeafNumber = parameters.leafCount + (index << UInt32(bottomHeight))
        var leaves = [UInt8]()
        leaves.reserveCapacity((1 << bottomHeight) * LMSParameters.m)
        for number in firstLeafNumber..<(firstLeafNumber + (1 << UInt32(bottomHeight))) {
            let q = number - parameters.leafCount
            let otsKey = LMOTS.publicKeyHash(parameters: otsParameters, identifier: identifier, q: q, seed: seed)
            leaves += LMSHash.hash(identifier: identifier, number: number, domain: LMSHash.leafDomain, otsKey)
        }
        return subtree(index, leaves: leaves, bottomHeight: bottomHeight, parameters: parameters, identifier: identifier)
    }

    /// Bottom subtree number `index` from its leaf nodes (T[2^h + index·2^b] …).
    static func subtree(
        _ index: UInt32, leaves: [UInt8], bottomHeight: Int, parameters: LMSParameters, identifier: [UInt8]
    ) -> Subtree {
        let firstLeafNumber = parameters.leafCount + (index << UInt32(bottomHeight))
        var levels = [leaves]
        for level in 0..<bottomHeight {
            levels.append(
                parentLevel(of: levels[level], identifier: identifier, firstNumber: firstLeafNumber >> UInt32(level + 1)))
        }
        return Subtree(index: index, levels: levels)
    }

    /// The levels from depth 0 down to `depth`, given the 2^depth nodes at `depth`.
    static func upperLevels(fromDepth depth: Int, nodes: [UInt8], identifier: [UInt8]) -> [[UInt8]] {
        var levels = [nodes]
        for level in stride(from: depth - 1, through: 0, by: -1) {
            levels.insert(parentLevel(of: levels[0], identifier: identifier, firstNumber: UInt32(1 << level)), at: 0)
        }
        return levels
    }

    /// Interior nodes from their children: T[r] = H(I || u32(r) || D_INTR || T[2r] || T[2r+1]).
    private static func parentLevel(of children: [UInt8], identifier: [UInt8], firstNumber: UInt32) -> [UInt8] {
        let count = children.count / LMSParameters.m / 2
        var parents = [UInt8]()
        parents.reserveCapacity(count * LMSParameters.m)
        for index in 0..<count {
            let left = Array(children[(2 * index * LMSParameters.m)..<((2 * index + 1) * LMSParameters.m)])
            let right = Array(children[((2 * index + 1) * LMSParameters.m)..<((2 * index + 2) * LMSParameters.m)])
            parents += LMSHash.hash(
                identifier: identifier, number: firstNumber + UInt32(index), domain: LMSHash.interiorDomain, left, right)
        }
        return parents
    }
}

/// Lets concurrent workers fill one buffer. @unchecked Sendable is sound only
/// because every worker writes a range no other worker touches, and the buffer
/// outlives `concurrentPerform`, which returns after all workers finish.
private struct DisjointWrites: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<UInt8>

    func write(_ bytes: [UInt8], at offset: Int) {
        for (index, byte) in bytes.enumerated() {
            buffer[offset + index] = byte
        }
    }
}
