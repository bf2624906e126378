/// The storage of one hash-based (HSS) signing key: the key, its leaf state, and the exclusive
/// access that keeps two signers from reading the same counter (`HSSStateFile` in ArborKeyStore
/// for files).
///
/// The store moves bytes; what they mean (`HSSKeyFile`, `LMSLeafState`) and the rule that a leaf
/// is durable before it is used are in ``HSSSigningKey``.
public protocol LeafStateStore {
    /// How the key is named in messages (its file path).
    var keyName: String { get }
    /// How the leaf state is named in messages (its file path).
    var stateName: String { get }

    /// The armored key file, read as a secret (refused if others may read it).
    func readKey() throws -> String
    /// Atomically replaces the key file (after a delegation is installed).
    func replaceKey(_ armored: String) throws

    /// Runs `body` while holding exclusive access to this key's state.
    func withExclusiveAccess<Result>(_ body: () throws -> Result) throws -> Result
    /// Whether a leaf state exists.
    func stateExists() -> Bool
    /// The encoded leaf state; `fileNotFound` when there is none.
    func readState() throws -> [UInt8]
    /// Writes the first leaf state; refuses to replace one. Durable when it returns.
    func createState(_ bytes: [UInt8]) throws
    /// Atomically replaces the leaf state. Durable when it returns.
    func replaceState(_ bytes: [UInt8]) throws

    /// The key's tree cache (`docs/custody-formats.md` §3.9), or nil when there is none or it cannot be read:
    /// it is a cache, so its absence only costs time.
    func readTreeCache() -> [UInt8]?
    /// Replaces the tree cache. Not part of the leaf-state rules: it holds no state and nothing secret.
    func replaceTreeCache(_ bytes: [UInt8]) throws
}
