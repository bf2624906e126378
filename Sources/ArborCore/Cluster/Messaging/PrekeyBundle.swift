import Crypto

/// One-time X-Wing public keys a node publishes so that others can seal messages to it while it
/// is offline, with forward secrecy: the node deletes a prekey's secret as soon as the message
/// sealed to it is opened, so a later theft of the node's keys does not open that message.
///
/// Stored as the value of the node's own `prekeys/<path>` cluster record (kind 7), signed by the
/// node itself. Byte layout in docs/cluster.md, "Messages between nodes".
public struct PrekeyBundle: Sendable, Equatable {
    public static let maximumCount = 256

    public let prekeys: [Prekey]

    /// Ids must be above 0 (0 names the node's own X-Wing key in a message) and strictly increasing.
    public init(prekeys: [Prekey]) throws {
        guard prekeys.count <= Self.maximumCount else {
            throw ArborError(.limitExceeded, "a prekey bundle holds at most \(Self.maximumCount) prekeys")
        }
        var last: UInt32 = 0
        for prekey in prekeys {
            guard prekey.id > last else {
                throw ArborError(.invalidArgument, "prekey ids must be above 0 and strictly increasing in a bundle")
            }
            last = prekey.id
        }
        self.prekeys = prekeys
    }

    public func prekey(id: UInt32) -> Prekey? { prekeys.first { $0.id == id } }

    /// u16 count, then per prekey u32 id ‖ X-Wing public key (1216 bytes).
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 2 + prekeys.count * (4 + PublicKeySet.xWingSize))
        writer.append(UInt16(prekeys.count))
        for prekey in prekeys {
            writer.append(prekey.id)
            writer.append(raw: prekey.publicKey.rawRepresentation)
        }
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a prekey bundle")
        let count = Int(try reader.readUInt16())
        guard count <= Self.maximumCount else { throw ArborError.malformed("a prekey bundle holds more than \(Self.maximumCount) prekeys") }
        var prekeys: [Prekey] = []
        for _ in 0..<count {
            let id = try reader.readUInt32()
            let raw = try reader.read(count: PublicKeySet.xWingSize)
            guard let key = try? XWingMLKEM768X25519.PublicKey(rawRepresentation: raw) else {
                throw ArborError.malformed("a prekey bundle holds a public key that does not parse")
            }
            prekeys.append(Prekey(id: id, publicKey: key))
        }
        try reader.expectEnd()
        do {
            try self.init(prekeys: prekeys)
        } catch {
            throw ArborError.malformed("a prekey bundle's ids are not above 0 and strictly increasing")
        }
    }
}

/// One one-time prekey: an id the node chose (never reused) and an X-Wing public key.
public struct Prekey: Sendable, Equatable {
    public let id: UInt32
    public let publicKey: XWingMLKEM768X25519.PublicKey

    public init(id: UInt32, publicKey: XWingMLKEM768X25519.PublicKey) {
        self.id = id
        self.publicKey = publicKey
    }

    public static func == (lhs: Prekey, rhs: Prekey) -> Bool {
        lhs.id == rhs.id && lhs.publicKey.rawRepresentation == rhs.publicKey.rawRepresentation
    }
}
