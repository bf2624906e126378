import ArborCore

/// Where keyrings are kept: files in a directory for the CLI (`KeyringDirectory` in
/// ArborKeyStore), a database for the server.
///
/// A reference is what the caller names a keyring by: for the CLI a name or a file path, for the
/// server the keyring's name. The store resolves it; the operations never see paths.
public protocol KeyringStore {
    /// The name a keyring created at `reference` gets.
    func name(for reference: String) -> String

    /// Where `reference` is kept, as shown to people (a file path, a database name).
    func location(of reference: String) -> String

    /// The keyring; `fileNotFound` when there is none.
    func load(_ reference: String) throws -> MeshKeyring

    /// Stores a new keyring; `fileExists` when `reference` already holds one.
    func create(_ keyring: MeshKeyring, at reference: String) throws

    /// Loads the keyring, lets `change` modify it, and stores the result when `change` returns
    /// true. A store that can serialise updates of one keyring does so here.
    func update(_ reference: String, _ change: (inout MeshKeyring) throws -> Bool) throws -> MeshKeyring
}
