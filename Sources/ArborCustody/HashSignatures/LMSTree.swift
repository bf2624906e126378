import Dispatch

/// The Merkle tree of an LMS key (RFC 8554 section 5.3), computed once when the
/// key is loaded so that signing only needs one LM-OTS signature.
///
/// Nodes are cached down to depth 15 at most (2 MiB). Taller trees (H20, H25)
/// keep their top 15 levels; signing then recomputes the one subtree of height
/// h - 15 below the cached node that holds the leaf.
struct LMSTree: Sendable {
    static let maximumCachedDepth = 15

    let parameters: LMSParameters
    let otsParameters: LMOTSParameters
    let identifier: [UInt8]
    let cachedDepth: Int
    /// levels[d] holds the 2^d nodes at depth d (node numbers 2^d…2^(d+1)-1), 32 bytes each.
    private let levels: [[UInt8]]

    /// `cacheLimit` lowers the cached depth; tests use it to exercise subtree recomputation on small trees.
    init(
        parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], seed: [UInt8],
        cacheLimit: Int = maximumCachedDepth
    ) {
        self.parameters = parameters
        self.otsParameters = otsParameters
        self.identifier = identifier
        cachedDepth = max(0, min(parameters.height, cacheLimit))

        let nodeCount = 1 << cachedDepth
        let subtreeHeight = parameters.height - cachedDepth
        var bottom = [UInt8](repeating: 0, count: nodeCount * LMSParameters.m)
        let chunkCount = min(nodeCount, 64)
        // Leaves are independent, so split them across the cores; each chunk owns its slice.
        bottom.withUnsafeMutableBufferPointer { buffer in
            let output = DisjointWrites(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                let start = nodeCount * chunk / chunkCount
                let end = nodeCount * (chunk + 1) / chunkCount
                for offset in start..<end {
                    let nodeNumber = UInt32(nodeCount + offset)
                    let node = Self.subtreeLevels(
                        rootNumber: nodeNumber, subtreeHeight: subtreeHeight, parameters: parameters,
                        otsParameters: otsParameters, identifier: identifier, seed: seed
                    )[subtreeHeight]
                    output.write(node, at: offset * LMSParameters.m)
                }
            }
        }
        var levels = [bottom]
        for depth in stride(from: cachedDepth - 1, through: 0, by: -1) {
            levels.insert(Self.parentLevel(of: levels[0], depth: depth, identifier: identifier), at: 0)
        }
        self.levels = levels
    }

    /// T[1].
    var root: [UInt8] { levels[0] }

    /// The authentication path of leaf q: the sibling of each node from the leaf upward.
    func authenticationPath(leaf q: UInt32, seed: [UInt8]) -> [[UInt8]] {
        let height = parameters.height
        let leafNumber = parameters.leafCount + q
        let subtreeHeight = height - cachedDepth
        // Siblings below the cached depth come from the leaf's recomputed subtree.
        let subtree =
            subtreeHeight > 0
            ? Self.subtreeLevels(
                rootNumber: leafNumber >> UInt32(subtreeHeight), subtreeHeight: subtreeHeight, parameters: parameters,
                otsParameters: otsParameters, identifier: identifier, seed: seed
            )
            : []
        return (0..<height).map { level in
            let sibling = (leafNumber >> UInt32(level)) ^ 1
            let depth = height - level
            if depth <= cachedDepth {
                return node(sibling, depth: depth, in: levels[depth])
            }
            let subtreeLevel = subtree[level]
            let firstAtLevel = (leafNumber >> UInt32(subtreeHeight)) << UInt32(subtreeHeight - level)
            return Array(subtreeLevel[(Int(sibling - firstAtLevel) * LMSParameters.m)...].prefix(LMSParameters.m))
        }
    }

    private func node(_ number: UInt32, depth: Int, in level: [UInt8]) -> [UInt8] {
        let offset = (Int(number) - (1 << depth)) * LMSParameters.m
        return Array(level[offset..<(offset + LMSParameters.m)])
    }

    /// All levels of the subtree of height `subtreeHeight` whose root is node `rootNumber`:
    /// [0] its leaves (tree depth h), …, [subtreeHeight] its root, each flat.
    private static func subtreeLevels(
        rootNumber: UInt32, subtreeHeight: Int, parameters: LMSParameters, otsParameters: LMOTSParameters,
        identifier: [UInt8], seed: [UInt8]
    ) -> [[UInt8]] {
        let firstLeafNumber = rootNumber << UInt32(subtreeHeight)
        var leaves = [UInt8]()
        leaves.reserveCapacity((1 << subtreeHeight) * LMSParameters.m)
        for number in firstLeafNumber..<(firstLeafNumber + (1 << UInt32(subtreeHeight))) {
            let q = number - parameters.leafCount
            let otsKey = LMOTS.publicKeyHash(parameters: otsParameters, identifier: identifier, q: q, seed: seed)
            leaves += LMSHash.hash(identifier: identifier, number: number, domain: LMSHash.leafDomain, otsKey)
        }
        var levels = [leaves]
        for level in 0..<subtreeHeight {
            let depth = parameters.height - level - 1
            levels.append(
                parentLevel(of: levels[level], depth: depth, identifier: identifier, firstNumber: firstLeafNumber >> UInt32(level + 1)))
        }
        return levels
    }

    /// Interior nodes at `depth` from their children: T[r] = H(I || u32(r) || D_INTR || T[2r] || T[2r+1]).
    private static func parentLevel(of children: [UInt8], depth: Int, identifier: [UInt8], firstNumber: UInt32? = nil) -> [UInt8] {
        let first = firstNumber ?? UInt32(1 << depth)
        let count = children.count / LMSParameters.m / 2
        var parents = [UInt8]()
        parents.reserveCapacity(count * LMSParameters.m)
        for index in 0..<count {
            let left = Array(children[(2 * index * LMSParameters.m)..<((2 * index + 1) * LMSParameters.m)])
            let right = Array(children[((2 * index + 1) * LMSParameters.m)..<((2 * index + 2) * LMSParameters.m)])
            parents += LMSHash.hash(identifier: identifier, number: first + UInt32(index), domain: LMSHash.interiorDomain, left, right)
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
