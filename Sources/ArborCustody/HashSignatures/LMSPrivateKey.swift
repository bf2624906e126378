import ArborCore

/// An LMS private key: parameter sets, identifier I and SEED (RFC 8554
/// Appendix A), with what signing needs of its Merkle tree: computed at creation, or restored
/// from a tree cache (``encodedTreeCache()``) that checks against the key.
///
/// The key holds no signing state: every signature takes its leaf q from an
/// ``LMSLeafState`` reservation that was persisted first. The SEED is zeroed when the key is released.
public final class LMSPrivateKey: Sendable, CustomStringConvertible {
    public let parameters: LMSParameters
    public let otsParameters: LMOTSParameters
    /// The 16-byte key identifier I.
    public let identifier: [UInt8]
    public let publicKey: LMSPublicKey
    private let seed: SecretBytes
    let tree: LMSTree
    /// Where the Merkle tree came from: computed, or restored from a cache that checked.
    public let treeOrigin: TreeOrigin

    static let seedLength = 32

    /// The most hashes a key's tree may take to compute (2^31, some minutes on two cores):
    /// every set up to H20/W4 and H15/W8 is accepted, H20/W8 and H25 are not.
    public static let maximumTreeHashCount = 1 << 31

    /// Hashes to compute a tree: 2^h leaves of p chains of 2^w − 1 steps.
    static func treeHashCount(_ parameters: LMSParameters, _ otsParameters: LMOTSParameters) -> Int {
        Int(parameters.leafCount) * otsParameters.chainCount * otsParameters.maximumCoefficient
    }

    /// Builds the key from its secret SEED and identifier I (for example the
    /// values of RFC 8554 Appendix F). Computing the tree hashes about
    /// 2^h × p × 2^w times and is spread over the available cores; `progress` hears of it.
    public convenience init(
        parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], seed: [UInt8],
        progress: LMSTreeProgress? = nil
    ) throws {
        try self.init(
            parameters: parameters, otsParameters: otsParameters, identifier: identifier, seed: seed, treeCache: nil,
            expectedPublicKey: nil, bottomHeight: nil, progress: progress)
    }

    /// - Parameters:
    ///   - treeCache: a tree cache written by ``encodedTreeCache()``; used only if it checks (``treeOrigin`` says).
    ///   - expectedPublicKey: the key's public key when the caller knows it; a cache with another root is not used.
    ///   - bottomHeight: for tests; the default is ⌊h/2⌋.
    init(
        parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], seed: [UInt8], treeCache: [UInt8]?,
        expectedPublicKey: LMSPublicKey?, bottomHeight: Int? = nil, progress: LMSTreeProgress?
    ) throws {
        guard identifier.count == LMSParameters.identifierLength else {
            throw CustodyError.invalidParameters("an LMS identifier I is \(LMSParameters.identifierLength) bytes, not \(identifier.count)")
        }
        guard seed.count == Self.seedLength else {
            throw CustodyError.invalidParameters("an LMS SEED is \(Self.seedLength) bytes, not \(seed.count)")
        }
        // The whole tree is computed whenever no valid cache is at hand: a key file's type codes must
        // not be able to demand hours of hashing.
        guard Self.treeHashCount(parameters, otsParameters) <= Self.maximumTreeHashCount else {
            throw CustodyError(
                .limitExceeded,
                "an \(parameters) / \(otsParameters) key takes about \(Self.treeHashCount(parameters, otsParameters)) hashes to load, "
                    + "more than the \(Self.maximumTreeHashCount) arbor allows: choose a lower height or Winternitz parameter")
        }
        self.parameters = parameters
        self.otsParameters = otsParameters
        self.identifier = identifier
        self.seed = SecretBytes(copying: seed)
        var origin = TreeOrigin.computed
        var restored: LMSTree?
        if let treeCache {
            switch LMSTreeCache.restore(
                treeCache, parameters: parameters, otsParameters: otsParameters, identifier: identifier, seed: seed,
                expectedRoot: expectedPublicKey?.root)
            {
            case .success(let tree):
                restored = tree
                origin = .cache
            case .failure(let rejection): origin = .computedRejectingCache(rejection.reason)
            }
        }
        tree =
            restored
            ?? LMSTree(
                parameters: parameters, otsParameters: otsParameters, identifier: identifier, seed: seed, bottomHeight: bottomHeight,
                progress: progress)
        treeOrigin = origin
        publicKey = LMSPublicKey(parameters: parameters, otsParameters: otsParameters, identifier: identifier, root: tree.root)
    }

    /// Where the Merkle tree came from when the key was made.
    public enum TreeOrigin: Sendable, Equatable {
        /// Computed from the SEED (no cache was given).
        case computed
        /// Restored from a cache that checked.
        case cache
        /// Computed because the cache given did not check, for this reason.
        case computedRejectingCache(String)
    }

    /// The tree cache to store beside the key (`docs/custody-formats.md` §3.9): the upper levels and the
    /// bottom subtree held now, under a MAC keyed from the SEED. Holds nothing secret.
    public func encodedTreeCache() -> [UInt8] {
        var seed = self.seed.withUnsafeBytes { Array($0) }
        defer { seed.wipe() }
        return LMSTreeCache.encode(tree, seed: seed)
    }

    /// Which bottom subtree the tree holds now: when it changes (signing crossed into the next one),
    /// the stored cache is out of date.
    public var treeCacheRevision: UInt32 { tree.currentSubtree.index }

    /// A new key with random I and SEED from `generator`.
    public static func generate(
        parameters: LMSParameters, otsParameters: LMOTSParameters, using generator: inout some RandomNumberGenerator,
        progress: LMSTreeProgress? = nil
    ) throws -> LMSPrivateKey {
        let identifier = generator.randomBytes(count: LMSParameters.identifierLength)
        var seed = generator.randomBytes(count: seedLength)
        defer { seed.wipe() }
        return try LMSPrivateKey(
            parameters: parameters, otsParameters: otsParameters, identifier: identifier, seed: seed, progress: progress)
    }

    /// A new key with random I and SEED from the system's secure generator.
    public static func generate(
        parameters: LMSParameters, otsParameters: LMOTSParameters, progress: LMSTreeProgress? = nil
    ) throws -> LMSPrivateKey {
        var generator = SystemRandomNumberGenerator()
        return try generate(parameters: parameters, otsParameters: otsParameters, using: &generator, progress: progress)
    }

    /// Arbor's private key encoding (see `docs/custody-formats.md`):
    /// u32 LMS type || u32 LM-OTS type || I (16) || SEED (32). It holds no leaf state.
    public var privateKeyBytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.appendUInt32(parameters.typecode)
        bytes.appendUInt32(otsParameters.typecode)
        return bytes + identifier + seed.withUnsafeBytes { Array($0) }
    }

    /// Parses ``privateKeyBytes``; the tree comes from `treeCache` if it checks (see ``treeOrigin``),
    /// else it is computed, with `progress`.
    public convenience init(
        privateKeyBytes bytes: [UInt8], treeCache: [UInt8]? = nil, expectedPublicKey: LMSPublicKey? = nil,
        progress: LMSTreeProgress? = nil
    ) throws {
        var reader = ByteReader(bytes, context: "the LMS private key")
        guard bytes.count == 8 + LMSParameters.identifierLength + Self.seedLength,
            let lmsType = try? reader.readUInt32(), let otsType = try? reader.readUInt32(),
            let identifier = try? reader.read(count: LMSParameters.identifierLength),
            var seed = try? reader.read(count: Self.seedLength)
        else {
            throw CustodyError.invalidParameters("an LMS private key is \(8 + LMSParameters.identifierLength + Self.seedLength) bytes")
        }
        defer { seed.wipe() }
        try self.init(
            parameters: LMSParameters(typecode: lmsType), otsParameters: LMOTSParameters(typecode: otsType),
            identifier: identifier, seed: seed, treeCache: treeCache, expectedPublicKey: expectedPublicKey, progress: progress
        )
    }

    public var description: String {
        "LMSPrivateKey(\(parameters), \(otsParameters), I: \(Hex.encode(identifier)))"
    }

    /// Signs with leaf `q`. Not public: a caller outside this module signs only through a
    /// reservation, so it cannot name a leaf that was never reserved and persisted.
    func sign(_ message: [UInt8], leaf q: UInt32) throws -> LMSSignature {
        guard q < parameters.leafCount else {
            throw CustodyError(.leafNotReserved, "leaf \(q) is outside a tree of \(parameters.leafCount) leaves")
        }
        var seed = self.seed.withUnsafeBytes { Array($0) }
        defer { seed.wipe() }
        let otsSignature = LMOTS.sign(parameters: otsParameters, identifier: identifier, q: q, seed: seed, message: message)
        let path = tree.authenticationPath(leaf: q, seed: seed)
        return LMSSignature(leaf: q, otsSignature: otsSignature, parameters: parameters, path: path)
    }

    /// Signs with the next leaf of `reservation`, removing it from the reservation.
    public func sign(_ message: [UInt8], using reservation: LMSLeafReservation) throws -> LMSSignature {
        try sign(message, leaf: reservation.takeLeaf(for: self))
    }
}
