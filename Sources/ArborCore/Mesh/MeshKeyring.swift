import Crypto

/// A named mesh seed with numbered epochs, shared by the nodes that hold it.
///
/// Every epoch seed is derived from the owner node's branch secret, so the owner and every
/// ancestor up to the root can re-create the keyring at any time; the nodes that hold it get only
/// the epoch seeds. Any holder can decrypt, and also forge: keep keyrings narrow, and bind the
/// origin's signature where authenticity matters. See docs/formats.md, "Mesh keyrings".
public struct MeshKeyring: Sendable, CustomStringConvertible {
    /// The AEAD a keyring seals with.
    public enum Cipher: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case chaCha20Poly1305 = 1
        case aes256GCM = 2

        public init(parsing text: String) throws {
            guard let cipher = Self.allCases.first(where: { $0.description == text }) else {
                throw ArborError(.invalidArgument, "unknown cipher '\(text)'; use chacha20-poly1305 or aes-256-gcm")
            }
            self = cipher
        }

        public var description: String { self == .chaCha20Poly1305 ? "chacha20-poly1305" : "aes-256-gcm" }
    }

    public let name: String
    public let owner: TreePath
    public let cipher: Cipher
    /// The epoch new messages are sealed under.
    public private(set) var activeEpoch: UInt32
    /// Epochs below this are retired: their ciphertexts are refused.
    public private(set) var minimumEpoch: UInt32
    private(set) var seeds: [UInt32: SymmetricKey]

    /// The 4-byte identifier carried in every token: SHA-256 over the owner and the name
    /// (computed once: every seal and open compares it).
    public let identifier: [UInt8]

    public var heldEpochs: [UInt32] { seeds.keys.sorted() }

    /// Creates the keyring at epoch 1 from its owner's secret.
    public static func create(name: String, owner: NodeSecret, cipher: Cipher = .chaCha20Poly1305) throws -> MeshKeyring {
        try TreePath.validate(label: name)
        return MeshKeyring(
            name: name, owner: owner.path, cipher: cipher, activeEpoch: 1, minimumEpoch: 1,
            seeds: [1: seed(owner: owner, name: name, epoch: 1)]
        )
    }

    init(name: String, owner: TreePath, cipher: Cipher, activeEpoch: UInt32, minimumEpoch: UInt32, seeds: [UInt32: SymmetricKey]) {
        self.name = name
        self.owner = owner
        identifier = Self.identifier(owner: owner, name: name)
        self.cipher = cipher
        self.activeEpoch = activeEpoch
        self.minimumEpoch = minimumEpoch
        self.seeds = seeds
    }

    /// Makes the next epoch active. Needs the owner's secret (or an ancestor's, via `descendant`).
    public mutating func rotate(owner secret: NodeSecret) throws {
        guard secret.path == owner else {
            throw ArborError(.invalidArgument, "keyring '\(name)' belongs to \(owner), not \(secret.path); rotate it with the owner's key")
        }
        guard activeEpoch < UInt32.max else { throw ArborError(.invalidArgument, "keyring '\(name)' has used every epoch") }
        activeEpoch += 1
        seeds[activeEpoch] = Self.seed(owner: secret, name: name, epoch: activeEpoch)
    }

    /// Whether the active epoch's seed comes from this owner's branch secret: false for a keyring
    /// of another owner, or of the same path in an older tree (after a root rekey).
    public func activeEpochIsDerived(from secret: NodeSecret) -> Bool {
        guard secret.path == owner, let active = seeds[activeEpoch] else { return false }
        // SymmetricKey compares in constant time.
        return active == Self.seed(owner: secret, name: name, epoch: activeEpoch)
    }

    /// Retires every epoch below `epoch`: their seeds are dropped and their ciphertexts refused.
    /// The active epoch cannot be retired; rewrap old ciphertexts first.
    public mutating func retire(below epoch: UInt32) throws {
        guard epoch <= activeEpoch else {
            throw ArborError(.invalidArgument, "epoch \(activeEpoch) is active and cannot be retired; rotate first")
        }
        minimumEpoch = max(minimumEpoch, epoch)
        seeds = seeds.filter { $0.key >= minimumEpoch }
    }

    /// Adds epoch seeds received from the owner (e.g. after a rotation elsewhere). All or nothing:
    /// another keyring is `wrongKeyring`; another cipher, or a seed that differs from the one held
    /// for the same epoch, is `conflict` and changes nothing. The active epoch moves up only to one
    /// whose seed the other keyring holds; retired epochs stay retired. Keyring files carry no
    /// signature: merge only what came from the owner over an authenticated channel.
    public mutating func merge(_ other: MeshKeyring) throws {
        guard other.owner == owner, other.name == name else {
            throw ArborError(.wrongKeyring, "keyring '\(other.name)' of \(other.owner) is not '\(name)' of \(owner)")
        }
        guard other.cipher == cipher else {
            throw ArborError(.conflict, "the other copy of keyring '\(name)' uses \(other.cipher), this one \(cipher)")
        }
        // SymmetricKey compares in constant time.
        for (epoch, seed) in other.seeds where seeds[epoch].map({ $0 != seed }) ?? false {
            throw ArborError(
                .conflict, "the other copy of keyring '\(name)' holds a different seed for epoch \(epoch); it is not from the owner")
        }
        guard other.seeds[other.activeEpoch] != nil else {
            throw ArborError(.conflict, "the other copy of keyring '\(name)' does not hold its own active epoch \(other.activeEpoch)")
        }
        for (epoch, seed) in other.seeds where epoch >= minimumEpoch { seeds[epoch] = seed }
        activeEpoch = max(activeEpoch, other.activeEpoch)
        minimumEpoch = max(minimumEpoch, other.minimumEpoch)
        seeds = seeds.filter { $0.key >= minimumEpoch }
    }

    func seed(for epoch: UInt32) throws -> SymmetricKey {
        if epoch < minimumEpoch {
            throw ArborError(
                .retiredEpoch,
                "the message is sealed under epoch \(epoch) of keyring '\(name)', which is retired (epochs below \(minimumEpoch) are refused)"
            )
        }
        guard let seed = seeds[epoch] else {
            throw ArborError(
                .unknownEpoch,
                "keyring '\(name)' does not hold epoch \(epoch); fetch the keyring again from its owner (it holds \(heldEpochs.map(String.init).joined(separator: ", ")))"
            )
        }
        return seed
    }

    /// `HKDF-Expand(owner branch secret, "arbor/v1/keyring" 0x00 ‖ u8 len ‖ name ‖ u32 epoch, 32)`.
    static func seed(owner: NodeSecret, name: String, epoch: UInt32) -> SymmetricKey {
        var info = ByteWriter()
        info.append(raw: Array("arbor/v1/keyring".utf8))
        info.append(UInt8(0))
        info.append(short: Array(name.utf8))
        info.append(epoch)
        return HKDF<SHA256>.expand(pseudoRandomKey: owner.branchSecret, info: info.bytes, outputByteCount: 32)
    }

    static func identifier(owner: TreePath, name: String) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Array("arbor/v1/keyring-id".utf8))
        writer.append(UInt8(0))
        owner.encode(into: &writer)
        writer.append(short: Array(name.utf8))
        return Array(SHA256.hash(data: writer.bytes).prefix(4))
    }

    public var description: String {
        "MeshKeyring(\(name) of \(owner), \(cipher), active epoch \(activeEpoch), epochs \(heldEpochs), redacted)"
    }
}
