import ArborCore
import ArborCustody

/// What `hss info` says of a file: which HSS object it is and its public fields, never a secret.
/// A key file is described with its leaf state, read through the key's store.
public struct HSSFileDescription: Codable, Sendable, Equatable {
    public var kind: String
    public var levels: Int?
    public var level: Int?
    public var lms: [String] = []
    public var lmots: [String] = []
    public var identifier: String?
    public var leaves: [UInt32] = []
    public var leafCount: UInt32?
    public var nextLeaf: UInt32?
    public var remainingLeaves: UInt32?

    public init(
        kind: String, levels: Int? = nil, level: Int? = nil, lms: [String] = [], lmots: [String] = [], identifier: String? = nil,
        leaves: [UInt32] = [], leafCount: UInt32? = nil, nextLeaf: UInt32? = nil, remainingLeaves: UInt32? = nil
    ) {
        self.kind = kind
        self.levels = levels
        self.level = level
        self.lms = lms
        self.lmots = lmots
        self.identifier = identifier
        self.leaves = leaves
        self.leafCount = leafCount
        self.nextLeaf = nextLeaf
        self.remainingLeaves = remainingLeaves
    }

    /// Describes `raw`, the contents of the file `name`; `signingKey` reads it as a key file (with
    /// its leaf state) when it is one.
    public init(describing raw: [UInt8], named name: String, signingKey: HSSSigningKey<some LeafStateStore>) throws {
        if raw.starts(with: Array("-----BEGIN \(HSSKeyFile.armorLabel)-----".utf8)) {
            let key = try signingKey.load()
            self.init(
                kind: key.publicKey == nil
                    ? "HSS key file: node key waiting for enrollment"
                    : key.signsMessages ? "HSS key file: signs messages" : "HSS key file: enrolls the level below",
                levels: key.publicKey?.levels, level: key.publicKey == nil ? nil : key.depth,
                lms: [key.key.parameters.description], lmots: [key.key.otsParameters.description],
                identifier: Hex.encode(key.key.identifier))
            let state = try signingKey.readState(for: key.key)
            leafCount = state.leafCount
            nextLeaf = state.nextLeaf
            remainingLeaves = state.remainingLeaves
            return
        }
        let text = String(decoding: raw, as: UTF8.self)
        if Armor.label(of: text) == HSSEnrollmentRequest.armorLabel {
            let request = try custody(name) { try HSSEnrollmentRequest(armored: text) }
            self.init(
                kind: "HSS enrollment request of \(request.nodePath) (signed by key \(request.signature.signerChain.leaf.keyID.shortHex); "
                    + "not verified here: enroll verifies it)",
                lms: [request.publicKey.parameters.description], lmots: [request.publicKey.otsParameters.description],
                identifier: Hex.encode(request.publicKey.identifier))
            return
        }
        if Armor.label(of: text) == HSSDelegationRevocation.armorLabel {
            let revocation = try custody(name) { try HSSDelegationRevocation(armored: text) }
            self.init(
                kind: "HSS delegation revocation, signed by level \(revocation.revokerChain.count + 1)",
                levels: revocation.publicKey.levels,
                lms: [revocation.revokedKey.parameters.description], lmots: [revocation.revokedKey.otsParameters.description],
                identifier: Hex.encode(revocation.revokedKey.identifier), leaves: [revocation.signature.leaf])
            return
        }
        if let state = try? LMSLeafState(encoded: raw) {
            self.init(
                kind: "LMS leaf state", identifier: Hex.encode(state.identifier), leafCount: state.leafCount, nextLeaf: state.nextLeaf,
                remainingLeaves: state.remainingLeaves)
            return
        }
        let bytes = try PublicBytes.decode(raw)
        if let key = try? HSSPublicKey(bytes: bytes) {
            self.init(
                kind: "HSS public key", levels: key.levels, lms: [key.topKey.parameters.description],
                lmots: [key.topKey.otsParameters.description], identifier: Hex.encode(key.topKey.identifier))
        } else if let key = try? LMSPublicKey(bytes: bytes) {
            self.init(
                kind: "LMS public key (an enrollment request)", lms: [key.parameters.description], lmots: [key.otsParameters.description],
                identifier: Hex.encode(key.identifier))
        } else if let delegation = try? HSSDelegation(bytes: bytes) {
            let keys = [delegation.publicKey.topKey] + delegation.chain.map(\.publicKey)
            self.init(
                kind: "HSS delegation for level \(delegation.chain.count + 1)", levels: delegation.publicKey.levels,
                lms: keys.map(\.parameters.description), lmots: keys.map(\.otsParameters.description),
                identifier: Hex.encode(delegation.enrolledKey.identifier), leaves: delegation.chain.map(\.signature.leaf))
        } else if let signature = try? HSSSignature(bytes: bytes) {
            let signatures = signature.signedPublicKeys.map(\.signature) + [signature.messageSignature]
            self.init(
                kind: "HSS signature", levels: signature.signedPublicKeys.count + 1, lms: signatures.map(\.parameters.description),
                lmots: signatures.map(\.otsSignature.parameters.description), leaves: signatures.map(\.leaf))
        } else {
            throw ArborError(.malformedInput, "'\(name)' is not an HSS key, state, public key, request, delegation or signature")
        }
    }
}
