import ArborCore

/// An LMS private key: parameter sets, identifier I and SEED (RFC 8554
/// Appendix A), with its Merkle tree computed once at creation.
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
    private let tree: LMSTree

    static let seedLength = 32

    /// The most hashes a key's tree may take to compute (2^31, some minutes on two cores):
    /// every set up to H20/W4 and H15/W8 is accepted, H20/W8 and H25 are not.
    public static let maximumTreeHashCount = 1 << 31

    /// Hashes to compute a tree: 2^h leaves of p chains of 2^w − 1 steps.
    static func treeHashCount(_ parameters: LMSParameters, _ otsParameters: LMOTSParameters) -> Int {
        Int(parameters.leafCount) * otsParameters.chainCount * otsParameters.maximumCoefficient
    }

    /// Builds the key from its secret SEED and identifier I (for example the
    /// values of RFC 8554 Appendix F). Key generation hashes about
    /// 2^h × p × 2^w times and is spread over the available cores.
    public convenience init(parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], seed: [UInt8]) throws {
        try self.init(
            parameters: parameters, otsParameters: otsParameters, identifier: identifier, seed: seed,
            cacheLimit: LMSTree.maximumCachedDepth)
    }

    init(parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], seed: [UInt8], cacheLimit: Int) throws {
        guard identifier.count == LMSParameters.identifierLength else {
            throw CustodyError.invalidParameters("an LMS identifier I is \(LMSParameters.identifierLength) bytes, not \(identifier.count)")
        }
        guard seed.count == Self.seedLength else {
            throw CustodyError.invalidParameters("an LMS SEED is \(Self.seedLength) bytes, not \(seed.count)")
        }
        // The whole tree is computed here, at every load: a key file's type codes must not be able
        // to demand hours of hashing.
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
        tree = LMSTree(parameters: parameters, otsParameters: otsParameters, identifier: identifier, seed: seed, cacheLimit: cacheLimit)
        publicKey = LMSPublicKey(parameters: parameters, otsParameters: otsParameters, identifier: identifier, root: tree.root)
    }

    /// A new key with random I and SEED from `generator`.
    public static func generate(
        parameters: LMSParameters, otsParameters: LMOTSParameters, using generator: inout some RandomNumberGenerator
    ) throws -> LMSPrivateKey {
        let identifier = generator.randomBytes(count: LMSParameters.identifierLength)
        var seed = generator.randomBytes(count: seedLength)
        defer { seed.wipe() }
        return try LMSPrivateKey(parameters: parameters, otsParameters: otsParameters, identifier: identifier, seed: seed)
    }

    /// A new key with random I and SEED from the system's secure generator.
    public static func generate(parameters: LMSParameters, otsParameters: LMOTSParameters) throws -> LMSPrivateKey {
        var generator = SystemRandomNumberGenerator()
        return try generate(parameters: parameters, otsParameters: otsParameters, using: &generator)
    }

    /// Arbor's private key encoding (see `docs/custody-formats.md`):
    /// u32 LMS type || u32 LM-OTS type || I (16) || SEED (32). It holds no leaf state.
    public var privateKeyBytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.appendUInt32(parameters.typecode)
        bytes.appendUInt32(otsParameters.typecode)
        return bytes + identifier + seed.withUnsafeBytes { Array($0) }
    }

    /// Parses ``privateKeyBytes`` and rebuilds the tree.
    public convenience init(privateKeyBytes bytes: [UInt8]) throws {
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
            identifier: identifier, seed: seed
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
