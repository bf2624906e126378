import ArborCore
import ArborOperations
import Foundation

/// Keyring files for the CLI: a reference is a file path as given, or a name looked up as
/// `DIRECTORY/NAME.keyring`, where the directory is `$ARBOR_KEYRINGS` (default
/// `~/.config/arbor/keyrings`). Files are 0600, written atomically, with a checksum; an encrypted
/// one is opened with `passphrase` and stays encrypted under it when rewritten.
public struct KeyringDirectory: KeyringStore, Sendable {
    public let directory: String
    /// Opens encrypted keyring files.
    public var passphrase: PassphraseSource = .terminal
    /// How `create` protects a new file.
    public var newFiles: SecretFileProtection = .none

    public init(directory: String) { self.directory = directory }

    /// The directory `$ARBOR_KEYRINGS` names, else `$HOME/.config/arbor/keyrings`.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, passphrase: PassphraseSource = .terminal,
        newFiles: SecretFileProtection = .none
    ) {
        directory =
            environment["ARBOR_KEYRINGS"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? ".") + "/.config/arbor/keyrings"
        self.passphrase = passphrase
        self.newFiles = newFiles
    }

    /// A path when the reference looks like one (a '/', a `.keyring` suffix) or names an existing file.
    public func location(of reference: String) -> String {
        if reference.contains("/") || reference.hasSuffix(".keyring") || FileManager.default.fileExists(atPath: reference) {
            return reference
        }
        return "\(directory)/\(reference).keyring"
    }

    /// The file name without `.keyring`.
    public func name(for reference: String) -> String {
        let fileName = SecureFile.fileName(of: reference)
        return fileName.hasSuffix(".keyring") ? String(fileName.dropLast(".keyring".count)) : fileName
    }

    public func load(_ reference: String) throws -> MeshKeyring { try open(reference).keyring }

    public func create(_ keyring: MeshKeyring, at reference: String) throws {
        try save(keyring, to: location(of: reference), protection: newFiles, overwrite: false)
    }

    public func update(_ reference: String, _ change: (inout MeshKeyring) throws -> Bool) throws -> MeshKeyring {
        var (keyring, protection) = try open(reference)
        if try change(&keyring) { try save(keyring, to: location(of: reference), protection: protection, overwrite: true) }
        return keyring
    }

    /// The keyring and how its file is protected. Checksum and structure are checked before any
    /// passphrase is asked; errors about the contents start with the file's path.
    private func open(_ reference: String) throws -> (keyring: MeshKeyring, protection: SecretFileProtection) {
        let path = location(of: reference)
        let armored = try SecureFile.readSecret(path, what: "the keyring")
        do {
            guard let parameters = try MeshKeyringFile.parameters(of: armored) else { return (try MeshKeyringFile.decode(armored), .none) }
            let secret = try passphrase.read(prompt: "Passphrase for \(path): ")
            return (try MeshKeyringFile.decode(armored, passphrase: secret), .passphrase(secret, parameters))
        } catch let error as ArborError where [.corruptFile, .unsupportedVersion, .wrongPassphrase, .limitExceeded].contains(error.code) {
            throw ArborError(error.code, "\(path): \(error.message)")
        }
    }

    private func save(_ keyring: MeshKeyring, to path: String, protection: SecretFileProtection, overwrite: Bool) throws {
        let parent = SecureFile.directory(of: path)
        if !FileManager.default.fileExists(atPath: parent) {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try SecureFile.write(secret: MeshKeyringFile.encode(keyring, protection: protection), to: path, overwrite: overwrite)
    }
}
