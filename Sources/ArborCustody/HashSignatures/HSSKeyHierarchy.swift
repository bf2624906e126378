/// A whole HSS key generated in one place: an LMS key per level, each signed by
/// the level above with that level's leaf 0.
public struct HSSKeyHierarchy: Sendable {
    /// The LMS and LM-OTS parameter sets of one level.
    public struct Level: Hashable, Sendable {
        public var parameters: LMSParameters
        public var otsParameters: LMOTSParameters

        public init(_ parameters: LMSParameters, _ otsParameters: LMOTSParameters) {
            self.parameters = parameters
            self.otsParameters = otsParameters
        }
    }

    public let publicKey: HSSPublicKey
    /// The private keys, top level first.
    public let keys: [LMSPrivateKey]
    /// Each key's state after generation: upper keys have used leaf 0, the bottom key nothing.
    /// Persist these before using the hierarchy.
    public let leafStates: [LMSLeafState]
    /// Signs messages with the bottom key.
    public let signer: HSSSigner

    /// Generates fresh keys for `levels` (top first, 1…8 of them).
    public static func generate(levels: [Level], using generator: inout some RandomNumberGenerator) throws -> HSSKeyHierarchy {
        guard HSSPublicKey.levelRange.contains(levels.count) else {
            throw CustodyError.invalidParameters("HSS has 1…8 levels, not \(levels.count)")
        }
        var keys = [LMSPrivateKey]()
        for level in levels {
            keys.append(try LMSPrivateKey.generate(parameters: level.parameters, otsParameters: level.otsParameters, using: &generator))
        }
        var states = keys.map(LMSLeafState.init(for:))
        var chain = [HSSSignedPublicKey]()
        for index in keys.indices.dropLast() {
            let (reservation, next) = try states[index].reserve(count: 1)
            states[index] = next
            chain.append(try keys[index].signPublicKey(keys[index + 1].publicKey, using: reservation))
        }
        let publicKey = try HSSPublicKey(levels: levels.count, topKey: keys[0].publicKey)
        return HSSKeyHierarchy(
            publicKey: publicKey, keys: keys, leafStates: states,
            signer: try HSSSigner(publicKey: publicKey, chain: chain, key: keys[keys.count - 1])
        )
    }

    /// Generates fresh keys with the system's secure generator.
    public static func generate(levels: [Level]) throws -> HSSKeyHierarchy {
        var generator = SystemRandomNumberGenerator()
        return try generate(levels: levels, using: &generator)
    }
}
