/// What a parent gives a new node so that it can join the cluster: the node's branch secret and
/// certificate chain, the parent's own chain (so the node knows its parent after any rekey), the
/// keyrings it is granted, the trust bundles of other clusters and the etcd endpoints, valid for a
/// short time and bound to the one-time key the node made to receive it. Signed by the parent
/// (hybrid, domain `arbor/v1/enrollment`); ArborOperations seals it to the one-time key as an age
/// file. Byte layout in docs/cluster.md, "Enrollment".
///
/// The encoding holds secrets (the branch secret, the keyrings' seeds), so it is made and read as
/// `SecretBytes`.
public struct EnrollmentBundle: Sendable {
    static let magic = Array("AREN".utf8)
    static let version: UInt8 = 1
    static let signatureDomain = "arbor/v1/enrollment"
    static let maximumFieldSize = 1 << 24
    public static let maximumKeyrings = 1024
    public static let maximumTrustBundles = 256
    public static let maximumEndpoints = 16
    /// A bundle is refused this long before its issue time (clocks a little apart), no earlier.
    public static let clockSkew: Int64 = 300

    /// The one-time key the bundle is made for.
    public let keyID: EnrollmentKeyID
    /// Unix seconds.
    public let issuedAt: Int64
    /// Unix seconds; the bundle is refused after it.
    public let expiresAt: Int64
    /// The new node's secret, at its path.
    public let node: NodeSecret
    /// From the root down to the new node, through the parent.
    public let nodeChain: CertificateChain
    /// From the root down to the parent, which signed the bundle.
    public let parentChain: CertificateChain
    public let keyrings: [MeshKeyring]
    public let trustBundles: [TrustBundle]
    /// etcd client URLs (`http://host:port` or `https://…`), for the node's cluster service.
    public let etcdEndpoints: [String]
    let signature: HybridSignature

    /// Signs a bundle as `parent`, whose chain is put in it. `node` and `nodeChain` are what the
    /// parent certified for the new node (`Issuer.certify`).
    public init(
        for keyID: EnrollmentKeyID, issuedAt: Int64, expiresAt: Int64, node: NodeSecret, nodeChain: CertificateChain,
        parent: Issuer, keyrings: [MeshKeyring] = [], trustBundles: [TrustBundle] = [], etcdEndpoints: [String] = []
    ) throws {
        guard expiresAt > issuedAt else {
            throw ArborError(.invalidArgument, "an enrollment bundle must expire after it is issued")
        }
        guard nodeChain.leaf.keyID == (try node.keySet()).keyID, nodeChain.leaf.path == node.path else {
            throw ArborError(.invalidArgument, "the node's chain does not end with the node's key")
        }
        guard parent.secret.path.isStrictAncestor(of: node.path) else {
            throw ArborError(.invalidPath, "\(node.path) is not below \(parent.secret.path); a parent enrolls its descendants only")
        }
        try Self.checkCounts(keyrings: keyrings.count, trustBundles: trustBundles.count)
        try Self.checkEndpoints(etcdEndpoints)
        self.keyID = keyID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.node = node
        self.nodeChain = nodeChain
        parentChain = parent.chain
        self.keyrings = keyrings
        self.trustBundles = trustBundles
        self.etcdEndpoints = etcdEndpoints
        var body = Self.toBeSigned(
            keyID: keyID, issuedAt: issuedAt, expiresAt: expiresAt, node: node, nodeChain: nodeChain, parentChain: parent.chain,
            keyrings: keyrings, trustBundles: trustBundles, etcdEndpoints: etcdEndpoints)
        defer { body.wipe() }
        signature = try HybridSignature.sign(domain: Self.signatureDomain, body: body, with: parent.keys)
    }

    private static func checkCounts(keyrings: Int, trustBundles: Int) throws {
        guard keyrings <= maximumKeyrings, trustBundles <= maximumTrustBundles else {
            throw ArborError(
                .limitExceeded,
                "an enrollment bundle holds at most \(maximumKeyrings) keyrings and \(maximumTrustBundles) trust bundles")
        }
    }

    /// At most 16 endpoints, each an `http://` or `https://` URL of 1 to 255 bytes.
    static func checkEndpoints(_ endpoints: [String]) throws {
        guard endpoints.count <= maximumEndpoints else {
            throw ArborError(.limitExceeded, "an enrollment bundle names at most \(maximumEndpoints) etcd endpoints")
        }
        for endpoint in endpoints {
            let scheme = ["http://", "https://"].first { endpoint.hasPrefix($0) }
            guard let scheme, endpoint.utf8.count > scheme.utf8.count, endpoint.utf8.count <= 255,
                !endpoint.contains(where: { $0.isWhitespace })
            else {
                throw ArborError(
                    .invalidArgument, "the etcd endpoint '\(endpoint.prefix(64))' is not an http:// or https:// URL of at most 255 bytes")
            }
        }
    }

    /// Everything before the signature (docs/cluster.md, "Enrollment"). Holds secrets: wipe it.
    static func toBeSigned(
        keyID: EnrollmentKeyID, issuedAt: Int64, expiresAt: Int64, node: NodeSecret, nodeChain: CertificateChain,
        parentChain: CertificateChain, keyrings: [MeshKeyring], trustBundles: [TrustBundle], etcdEndpoints: [String]
    ) -> [UInt8] {
        let nodeFile = NodeKeyFile.encode(node)
        let keyringFiles = keyrings.map { MeshKeyringFile.encode($0) }
        let nodeChainBytes = nodeChain.encoded
        let parentChainBytes = parentChain.encoded
        let trustBytes = trustBundles.map(\.encoded)
        let capacity =
            4 + 1 + EnrollmentKeyID.size + 16 + 4 + nodeFile.count + 4 + nodeChainBytes.count + 4 + parentChainBytes.count + 2
            + keyringFiles.reduce(0) { $0 + 4 + $1.count } + 2 + trustBytes.reduce(0) { $0 + 4 + $1.count } + 1
            + etcdEndpoints.reduce(0) { $0 + 1 + $1.utf8.count }
        // Sized once: growing would leave copies of the secrets in freed memory.
        var writer = ByteWriter(capacity: capacity)
        writer.append(raw: magic)
        writer.append(version)
        writer.append(raw: keyID.bytes)
        writer.append(issuedAt)
        writer.append(expiresAt)
        appendSecret(nodeFile, to: &writer)
        writer.append(long: nodeChainBytes)
        writer.append(long: parentChainBytes)
        writer.append(UInt16(keyringFiles.count))
        for file in keyringFiles { appendSecret(file, to: &writer) }
        writer.append(UInt16(trustBytes.count))
        for bundle in trustBytes { writer.append(long: bundle) }
        writer.append(UInt8(etcdEndpoints.count))
        for endpoint in etcdEndpoints { writer.append(short: Array(endpoint.utf8)) }
        return writer.bytes
    }

    private static func appendSecret(_ secret: SecretBytes, to writer: inout ByteWriter) {
        writer.append(UInt32(secret.count))
        secret.withUnsafeBytes { writer.append(raw: $0) }
    }

    /// The signed bundle: the fields and the parent's hybrid signature. A secret.
    public var encoded: SecretBytes {
        var bytes = Self.toBeSigned(
            keyID: keyID, issuedAt: issuedAt, expiresAt: expiresAt, node: node, nodeChain: nodeChain, parentChain: parentChain,
            keyrings: keyrings, trustBundles: trustBundles, etcdEndpoints: etcdEndpoints)
        var writer = ByteWriter()
        signature.encode(into: &writer)
        bytes += writer.bytes
        return SecretBytes(consuming: &bytes)
    }

    /// Parses only; `verify` decides whether to believe it.
    public init(encoded: SecretBytes) throws {
        var reader = encoded.withUnsafeBytes { ByteReader($0, context: "the enrollment bundle") }
        defer { reader.wipe() }
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "enrollment bundle")
        keyID = EnrollmentKeyID(bytes: try reader.read(count: EnrollmentKeyID.size))
        issuedAt = try reader.readInt64()
        expiresAt = try reader.readInt64()
        node = try NodeKeyFile.decode(try Self.readSecret(&reader))
        nodeChain = try CertificateChain(encoded: try reader.readLongField(maximum: Self.maximumFieldSize))
        parentChain = try CertificateChain(encoded: try reader.readLongField(maximum: Self.maximumFieldSize))
        let keyringCount = Int(try reader.readUInt16())
        guard keyringCount <= Self.maximumKeyrings else { throw ArborError.malformed("the enrollment bundle grants too many keyrings") }
        var keyrings: [MeshKeyring] = []
        for _ in 0..<keyringCount { keyrings.append(try MeshKeyringFile.decode(try Self.readSecret(&reader))) }
        let trustCount = Int(try reader.readUInt16())
        guard trustCount <= Self.maximumTrustBundles else {
            throw ArborError.malformed("the enrollment bundle holds too many trust bundles")
        }
        var trustBundles: [TrustBundle] = []
        for _ in 0..<trustCount {
            trustBundles.append(try TrustBundle(encoded: try reader.readLongField(maximum: Self.maximumFieldSize)))
        }
        var endpoints: [String] = []
        for _ in 0..<Int(try reader.readUInt8()) {
            guard let endpoint = String(validating: try reader.readShortField(), as: UTF8.self) else {
                throw ArborError.malformed("an etcd endpoint of the enrollment bundle is not UTF-8")
            }
            endpoints.append(endpoint)
        }
        do {
            try Self.checkEndpoints(endpoints)
        } catch let error as ArborError {
            throw ArborError.malformed(error.message)
        }
        signature = try HybridSignature.decode(from: &reader)
        try reader.expectEnd()
        guard Set(keyrings.map(\.name)).count == keyrings.count else {
            throw ArborError.malformed("the enrollment bundle grants one keyring twice")
        }
        self.keyrings = keyrings
        self.trustBundles = trustBundles
        etcdEndpoints = endpoints
    }

    private static func readSecret(_ reader: inout ByteReader) throws -> SecretBytes {
        let length = Int(try reader.readUInt32())
        guard length <= maximumFieldSize else { throw ArborError.malformed("a field of the enrollment bundle is too long") }
        var bytes = try reader.read(count: length)
        return SecretBytes(consuming: &bytes)
    }

    /// Decides whether to believe the bundle, in this order: it is made for this one-time key
    /// (`fingerprint mismatch`: a bundle re-sealed to another key); `time` is within its life
    /// (`certificate not yet valid`, `certificate expired`); the parent's chain verifies to the
    /// expected cluster root alone and ends at the expected parent (`not authorised`); the
    /// parent's signature (`invalid signature`) and `certify` usage; the node's chain verifies to
    /// the same root, passes through the parent's chain, and ends with the node's own key.
    /// - Parameter time: Unix seconds; the caller reads the clock.
    public func verify(expecting expectation: EnrollmentExpectation, oneTimeKey: EnrollmentKeyID, at time: Int64) throws {
        guard keyID == oneTimeKey else {
            throw ArborError(
                .fingerprintMismatch,
                "the enrollment bundle was made for another one-time key (\(keyID.code), not \(oneTimeKey.code)); it was re-sealed or sent to the wrong node"
            )
        }
        guard time >= issuedAt - Self.clockSkew else {
            throw ArborError(
                .certificateNotYetValid, "the enrollment bundle is issued at \(Timestamp.format(issuedAt)), in the future; check the clock")
        }
        guard time <= expiresAt else {
            throw ArborError(
                .certificateExpired, "the enrollment bundle expired at \(Timestamp.format(expiresAt)); ask the parent for a new one")
        }
        let verifier = ChainVerifier(anchors: [expectation.anchor], scope: TrustScope(clusterRoot: expectation.anchor.keyID))
        let parent = try verifier.verify(parentChain, at: time).leaf
        guard expectation.parent.matches(parent) else {
            throw ArborError(
                .notAuthorised,
                "the enrollment bundle is signed by \(parent.path) (key \(parent.keyID.shortHex)), not by the expected parent \(expectation.parent)"
            )
        }
        var body = Self.toBeSigned(
            keyID: keyID, issuedAt: issuedAt, expiresAt: expiresAt, node: node, nodeChain: nodeChain, parentChain: parentChain,
            keyrings: keyrings, trustBundles: trustBundles, etcdEndpoints: etcdEndpoints)
        defer { body.wipe() }
        guard signature.isValid(domain: Self.signatureDomain, body: body, publicKeys: parent.publicKeys) else {
            throw ArborError(
                .invalidSignature, "the enrollment bundle's signature does not verify: it was changed after the parent signed it")
        }
        guard parent.usage.contains(.certify) else {
            throw ArborError(.usageNotAllowed, "\(parent.path) may not enroll nodes: its certificate lacks the certify usage")
        }
        guard parent.path.isStrictAncestor(of: node.path) else {
            throw ArborError(.notAuthorised, "\(parent.path) may not enroll \(node.path), which is not below it")
        }
        let nodeLeaf = try verifier.verify(nodeChain, at: time).leaf
        guard nodeChain.prefix(through: parent.path) == parentChain else {
            throw ArborError(.notAuthorised, "the node's chain was not issued through its parent's chain")
        }
        guard nodeLeaf.path == node.path, nodeLeaf.keyID == (try node.keySet()).keyID else {
            throw ArborError(.conflict, "the node's chain does not end with the node key of the bundle")
        }
    }
}

extension EnrollmentBundle: CustomStringConvertible {
    /// Never the node's key or a keyring's seeds.
    public var description: String {
        "EnrollmentBundle(\(node.path) from \(parentChain.leaf.path), \(keyrings.count) keyrings, redacted)"
    }
}
