/// A keyring record's value: the public state every holder must agree on. Never a seed: seeds
/// travel sealed to each holder. Byte layout in docs/cluster.md, "Values".
public struct KeyringMetadata: Sendable, Equatable {
    public let cipher: MeshKeyring.Cipher
    /// The epoch new messages are sealed under.
    public let activeEpoch: UInt32
    /// Epochs below this are retired.
    public let minimumEpoch: UInt32

    public init(cipher: MeshKeyring.Cipher, activeEpoch: UInt32, minimumEpoch: UInt32) throws {
        guard minimumEpoch >= 1, minimumEpoch <= activeEpoch else {
            throw ArborError(.invalidArgument, "a keyring's minimum epoch is between 1 and its active epoch")
        }
        self.cipher = cipher
        self.activeEpoch = activeEpoch
        self.minimumEpoch = minimumEpoch
    }

    public init(_ keyring: MeshKeyring) throws {
        try self.init(cipher: keyring.cipher, activeEpoch: keyring.activeEpoch, minimumEpoch: keyring.minimumEpoch)
    }

    /// u8 cipher, u32 active epoch, u32 minimum epoch: 9 bytes.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(cipher.rawValue)
        writer.append(activeEpoch)
        writer.append(minimumEpoch)
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a keyring record")
        guard let cipher = MeshKeyring.Cipher(rawValue: try reader.readUInt8()) else {
            throw ArborError.malformed("a keyring record names an unknown cipher")
        }
        let active = try reader.readUInt32()
        let minimum = try reader.readUInt32()
        try reader.expectEnd()
        do {
            try self.init(cipher: cipher, activeEpoch: active, minimumEpoch: minimum)
        } catch {
            throw ArborError.malformed("a keyring record's minimum epoch is not between 1 and its active epoch")
        }
    }

    /// Whether moving from `self` to `next` would lower the active or the minimum epoch.
    public func isLowered(by next: KeyringMetadata) -> Bool {
        next.activeEpoch < activeEpoch || next.minimumEpoch < minimumEpoch
    }
}
