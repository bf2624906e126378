/// What a node message seals: the sender's key id and the message id again, then the payload.
///
/// The outer signature binds the ciphertext to its sender; this binds the plaintext to it. A node
/// that strips a message's signature and signs the ciphertext as its own (claiming a message it
/// cannot read) is refused on opening, because the sealed key id is the real sender's
/// (Davis, "Defective Sign & Encrypt", 2001). Layout: magic "ARNP", version 1, sender key id
/// (32), message id (16), payload (the rest).
public struct NodeMessagePayload: Sendable {
    static let magic = Array("ARNP".utf8)
    static let version: UInt8 = 1

    public let senderKeyID: KeyID
    public let messageID: [UInt8]
    public let payload: [UInt8]

    public init(senderKeyID: KeyID, messageID: [UInt8], payload: [UInt8]) {
        self.senderKeyID = senderKeyID
        self.messageID = messageID
        self.payload = payload
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 5 + KeyID.size + messageID.count + payload.count)
        writer.append(raw: Self.magic)
        writer.append(Self.version)
        writer.append(raw: senderKeyID.bytes)
        writer.append(raw: messageID)
        writer.append(raw: payload)
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a node message's sealed payload")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "node message payload")
        senderKeyID = try KeyID(bytes: try reader.read(count: KeyID.size))
        messageID = try reader.read(count: NodeMessage.messageIDSize)
        payload = try reader.read(count: reader.remaining)
    }

    /// The sealed sender and id must be the signed ones (`authentication failed` otherwise).
    public func check(against message: NodeMessage) throws {
        guard senderKeyID == message.senderChain.leaf.keyID, messageID == message.messageID else {
            throw ArborError(
                .authenticationFailed,
                "the message from \(message.sender) seals another sender's key or id: its signature was replaced")
        }
    }
}

extension NodeMessagePayload: CustomStringConvertible {
    /// Never the payload.
    public var description: String { "NodeMessagePayload(\(payload.count) bytes from key \(senderKeyID.shortHex), redacted)" }
}
