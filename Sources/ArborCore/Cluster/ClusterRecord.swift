/// One value of the cluster state as stored in etcd: its key, a sequence number, the value, and
/// the signer's certificate chain with a hybrid signature (Ed25519 and ML-DSA-65) over all of it.
///
/// Whoever can write to etcd but holds no key of the tree cannot make one: a reader checks the
/// signature, the signer's chain and that the tree authorises the signer for the key
/// (`ClusterRecordAuthorisation`) before applying it, and refuses a sequence number at or below
/// the one it applied last for the key (`ClusterLedger`). Byte layout in docs/cluster.md.
public struct ClusterRecord: Sendable, Equatable {
    static let magic = Array("ARCR".utf8)
    static let version: UInt8 = 1
    static let signatureDomain = "arbor/v1/cluster-record"
    public static let maximumValueSize = 1 << 24
    static let maximumChainSize = 1 << 24

    public let key: ClusterRecordKey
    /// Grows with every write of this key; a reader refuses one at or below what it holds.
    public let sequence: UInt64
    /// The kind's value (docs/cluster.md, "Values"); empty for a member's removal.
    public let value: [UInt8]
    public let signerChain: CertificateChain
    let signature: HybridSignature

    /// Signs a value for a key; `chain` must end with the signer's keys.
    public init(key: ClusterRecordKey, sequence: UInt64, value: [UInt8], signer: NodeKeySet, chain: CertificateChain) throws {
        guard chain.leaf.keyID == signer.keyID else {
            throw ArborError(.invalidArgument, "the chain does not end with the signer's key; pass the chain that belongs to this key file")
        }
        guard value.count <= Self.maximumValueSize else {
            throw ArborError(.limitExceeded, "a cluster record's value has at most \(Self.maximumValueSize) bytes")
        }
        self.key = key
        self.sequence = sequence
        self.value = value
        signerChain = chain
        signature = try HybridSignature.sign(
            domain: Self.signatureDomain,
            body: Self.toBeSigned(key: key, sequence: sequence, value: value, chain: chain), with: signer)
    }

    /// Everything before the signature: magic, version, key, u64 sequence, value, signer chain.
    static func toBeSigned(key: ClusterRecordKey, sequence: UInt64, value: [UInt8], chain: CertificateChain) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: magic)
        writer.append(version)
        key.encode(into: &writer)
        writer.append(Int64(bitPattern: sequence))
        writer.append(long: value)
        writer.append(long: chain.encoded)
        return writer.bytes
    }

    var toBeSigned: [UInt8] { Self.toBeSigned(key: key, sequence: sequence, value: value, chain: signerChain) }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: toBeSigned)
        signature.encode(into: &writer)
        return writer.bytes
    }

    /// Parses only; `verify` checks the signature, the chain and the authorisation.
    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a cluster record")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "cluster record")
        key = try ClusterRecordKey.decode(from: &reader)
        sequence = UInt64(bitPattern: try reader.readInt64())
        value = try reader.readLongField(maximum: Self.maximumValueSize)
        signerChain = try CertificateChain(encoded: try reader.readLongField(maximum: Self.maximumChainSize))
        signature = try HybridSignature.decode(from: &reader)
        try reader.expectEnd()
    }

    /// Checks, in order: the record is stored under its own key (`conflict`); the signer's chain
    /// verifies to the cluster root with the revocations given, and only to it (`ChainVerifier`,
    /// pinned to the record's cluster); the signature (`invalid signature`); the signer may sign
    /// and the tree authorises it for this key and value (`ClusterRecordAuthorisation`).
    /// - Parameters:
    ///   - storedAt: the etcd key the record was read from.
    ///   - time: Unix seconds; the caller reads the clock.
    public func verify(
        storedAt: String, root: TrustAnchor, revocations: RevocationList, at time: Int64
    ) throws -> VerifiedClusterRecord {
        guard storedAt == key.text else {
            throw ArborError(.conflict, "the record stored at \(storedAt) is signed for \(key.text); it was copied there")
        }
        let verifier = ChainVerifier(anchors: [root], revocations: revocations, scope: TrustScope(clusterRoot: key.cluster))
        let signer = try verifier.verify(signerChain, at: time)
        guard signature.isValid(domain: Self.signatureDomain, body: toBeSigned, publicKeys: signer.leaf.publicKeys) else {
            throw ArborError(
                .invalidSignature, "the record at \(key.text) has an invalid signature: it was not written by a key of the tree")
        }
        let content = try ClusterRecordAuthorisation.check(self, signer: signer.leaf, root: root, verifier: verifier, at: time)
        return VerifiedClusterRecord(record: self, signer: signer.leaf, content: content)
    }
}

/// A record whose signature, signer chain and authorisation verified, with its parsed value.
public struct VerifiedClusterRecord: Sendable {
    public let record: ClusterRecord
    /// The last certificate of the signer's chain.
    public let signer: KeyCertificate
    public let content: ClusterRecordContent
}

/// The parsed value of a verified record.
public enum ClusterRecordContent: Sendable, Equatable {
    case member(ClusterMember)
    /// A signed removal of a member.
    case memberRemoved
    case revocation(Revocation)
    case keyring(KeyringMetadata)
    case trust(TrustBundle)
    /// The branch assignment agreed at one generation.
    case assignments(BranchAssignment)
    /// The leaves of a shared LMS key reserved so far.
    case leaves(LeafRange)
    /// A node's one-time prekeys, signed by the node itself.
    case prekeys(PrekeyBundle)
    /// A keyring sealed to its holder's node key (an age file); only the holder can open it.
    case grant([UInt8])
    /// An ancestor's order that the node move to a new key.
    case rekey(RekeyInstruction)
    /// The hand-over from this cluster's root to a new one, signed by both (docs/keys.md §20).
    case transition(RootTransition)
}

extension ClusterRecordContent {
    /// Parses the value as its kind says (docs/cluster.md, "Values"); checks no authorisation.
    init(parsing record: ClusterRecord) throws {
        switch record.key.kind {
        case .member: self = record.value.isEmpty ? .memberRemoved : .member(try ClusterMember(encoded: record.value))
        case .revocation: self = .revocation(try Revocation(encoded: record.value))
        case .keyring: self = .keyring(try KeyringMetadata(encoded: record.value))
        case .trust: self = .trust(try TrustBundle(encoded: record.value))
        case .assignments: self = .assignments(try BranchAssignment(encoded: record.value))
        case .leaves: self = .leaves(try LeafRange(encoded: record.value))
        case .prekeys: self = .prekeys(try PrekeyBundle(encoded: record.value))
        case .grant:
            guard !record.value.isEmpty else { throw ArborError.malformed("a grant record holds no sealed keyring") }
            self = .grant(record.value)
        case .rekey: self = .rekey(try RekeyInstruction(encoded: record.value))
        case .transition: self = .transition(try RootTransition(encoded: record.value))
        }
    }
}
