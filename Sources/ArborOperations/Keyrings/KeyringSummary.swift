import ArborCore

/// What `keyring create`, `rotate`, `retire` and `show` report, and what the server returns for a
/// keyring: its identity, cipher and epochs, never its seeds.
public struct KeyringSummary: Codable, Sendable, Equatable {
    public let name: String
    public let owner: String
    public let identifier: String
    public let cipher: String
    public let activeEpoch: UInt32
    public let minimumEpoch: UInt32
    public let heldEpochs: [UInt32]
    /// Where the keyring is kept (`KeyringStore.location(of:)`).
    public let file: String

    public init(_ keyring: MeshKeyring, file: String) {
        name = keyring.name
        owner = keyring.owner.description
        identifier = Hex.encode(keyring.identifier)
        cipher = keyring.cipher.description
        activeEpoch = keyring.activeEpoch
        minimumEpoch = keyring.minimumEpoch
        heldEpochs = keyring.heldEpochs
        self.file = file
    }
}
