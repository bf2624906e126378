/// A message from one node of a cluster to another: a header naming the cluster, the sender, the
/// recipient and the recipient key it is sealed to, an age v1 file sealed to that key, the
/// sender's certificate chain, and the sender's hybrid signature over all of it.
///
/// The ciphertext is signed, not the plaintext (encrypt, then sign): the recipient, or anyone
/// relaying the message, checks who sent it and to whom before any decapsulation is run, and the
/// signed header binds the recipient (path, key id, prekey id), so a message cannot be redirected
/// to another node or key. The sealed plaintext names the sender's key and the message id again
/// (`NodeMessagePayload`), so a third party who strips the signature and signs the ciphertext
/// as its own is caught on opening. Byte layout in docs/cluster.md, "Messages between nodes".
public struct NodeMessage: Sendable, Equatable {
    static let magic = Array("ARNM".utf8)
    static let version: UInt8 = 1
    static let signatureDomain = "arbor/v1/node-message"
    public static let messageIDSize = 16
    /// The sealed payload, an age file: at most 1 MiB of ciphertext, so a message fits in one etcd
    /// write (1.5 MiB by default) with the chain and signature.
    public static let maximumCiphertextSize = 1 << 20
    static let maximumChainSize = 1 << 20

    /// The sending node's cluster: the root key id every chain must lead to.
    public let cluster: KeyID
    public let sender: TreePath
    public let recipient: TreePath
    /// The key id of the recipient's certificate the sender sealed for.
    public let recipientKeyID: KeyID
    /// The one-time prekey the payload is sealed to; 0 for the recipient's own X-Wing key.
    public let prekeyID: UInt32
    /// 16 random bytes: the recipient refuses an id it has seen (a replay).
    public let messageID: [UInt8]
    /// Unix seconds at sealing.
    public let time: Int64
    /// An age v1 file (binary) to one `mlkem768x25519` recipient.
    public let ciphertext: [UInt8]
    public let senderChain: CertificateChain
    let signature: HybridSignature

    /// Signs a sealed message; `chain` must end with `signer`'s keys.
    public init(
        cluster: KeyID, recipient: TreePath, recipientKeyID: KeyID, prekeyID: UInt32, messageID: [UInt8], time: Int64,
        ciphertext: [UInt8], signer: NodeKeySet, chain: CertificateChain
    ) throws {
        guard chain.leaf.keyID == signer.keyID else {
            throw ArborError(.invalidArgument, "the chain does not end with the sender's key; pass the chain that belongs to this key")
        }
        guard messageID.count == Self.messageIDSize else {
            throw ArborError(.invalidArgument, "a message id has \(Self.messageIDSize) bytes")
        }
        guard ciphertext.count <= Self.maximumCiphertextSize else {
            throw ArborError(.limitExceeded, "a node message carries at most \(Self.maximumCiphertextSize) bytes of ciphertext")
        }
        self.cluster = cluster
        sender = chain.leaf.path
        self.recipient = recipient
        self.recipientKeyID = recipientKeyID
        self.prekeyID = prekeyID
        self.messageID = messageID
        self.time = time
        self.ciphertext = ciphertext
        senderChain = chain
        signature = try HybridSignature.sign(
            domain: Self.signatureDomain,
            body: Self.toBeSigned(
                cluster: cluster, sender: sender, recipient: recipient, recipientKeyID: recipientKeyID, prekeyID: prekeyID,
                messageID: messageID, time: time, ciphertext: ciphertext, chain: chain),
            with: signer)
    }

    /// Everything before the signature.
    var toBeSigned: [UInt8] {
        Self.toBeSigned(
            cluster: cluster, sender: sender, recipient: recipient, recipientKeyID: recipientKeyID, prekeyID: prekeyID,
            messageID: messageID, time: time, ciphertext: ciphertext, chain: senderChain)
    }

    static func toBeSigned(
        cluster: KeyID, sender: TreePath, recipient: TreePath, recipientKeyID: KeyID, prekeyID: UInt32, messageID: [UInt8],
        time: Int64, ciphertext: [UInt8], chain: CertificateChain
    ) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Self.magic)
        writer.append(Self.version)
        writer.append(raw: cluster.bytes)
        sender.encode(into: &writer)
        recipient.encode(into: &writer)
        writer.append(raw: recipientKeyID.bytes)
        writer.append(prekeyID)
        writer.append(raw: messageID)
        writer.append(time)
        writer.append(long: ciphertext)
        writer.append(long: chain.encoded)
        return writer.bytes
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: toBeSigned)
        signature.encode(into: &writer)
        return writer.bytes
    }

    /// Parses only; `verify` checks the sender.
    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a node message")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "node message")
        cluster = try KeyID(bytes: try reader.read(count: KeyID.size))
        sender = try TreePath.decode(from: &reader)
        recipient = try TreePath.decode(from: &reader)
        recipientKeyID = try KeyID(bytes: try reader.read(count: KeyID.size))
        prekeyID = try reader.readUInt32()
        messageID = try reader.read(count: Self.messageIDSize)
        time = try reader.readInt64()
        ciphertext = try reader.readLongField(maximum: Self.maximumCiphertextSize)
        senderChain = try CertificateChain(encoded: try reader.readLongField(maximum: Self.maximumChainSize))
        signature = try HybridSignature.decode(from: &reader)
        try reader.expectEnd()
        guard senderChain.leaf.path == sender else {
            throw ArborError.malformed("a node message names sender \(sender) but carries the chain of \(senderChain.leaf.path)")
        }
    }

    /// Checks, in order: the message belongs to the reader's cluster (`wrong cluster`); the
    /// sender's chain verifies to the cluster root with the revocations given, and only to it
    /// (`untrusted root`, `revoked`, `certificate expired`, … from `ChainVerifier`); the signature
    /// (`invalid signature`); the sender's certificate has the `sign` usage (`usage not allowed`).
    /// Whether the message is for the reader, and its time, are the opener's to check.
    /// - Parameter time: Unix seconds; the caller reads the clock.
    public func verify(root: TrustAnchor, revocations: RevocationList, at time: Int64) throws -> KeyCertificate {
        guard cluster == root.keyID else {
            throw ArborError(.wrongCluster, "the message from \(sender) belongs to cluster \(cluster.shortHex), not to this one")
        }
        let verifier = ChainVerifier(anchors: [root], revocations: revocations, scope: TrustScope(clusterRoot: cluster))
        let signer = try verifier.verify(senderChain, at: time).leaf
        guard signature.isValid(domain: Self.signatureDomain, body: toBeSigned, publicKeys: signer.publicKeys) else {
            throw ArborError(.invalidSignature, "the message from \(sender) has an invalid signature: it was forged or altered")
        }
        guard signer.usage.contains(.sign) else {
            throw ArborError(.usageNotAllowed, "\(sender) may not send messages: its certificate lacks the sign usage")
        }
        return signer
    }
}
