import ArborCore
import ArborOperations
import Foundation

/// Keyring files for the CLI: a reference is a file path as given, or a name looked up as
/// `DIRECTORY/NAME.keyring`, where the directory is `$ARBOR_KEYRINGS` (default
/// `~/.config/arbor/keyrings`). Files are 0600, written atomically.
public struct KeyringDirectory: KeyringStore, Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The directory `$ARBOR_KEYRINGS` names, else `$HOME/.config/arbor/keyrings`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        directory =
            environment["ARBOR_KEYRINGS"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? ".") + "/.config/arbor/keyrings"
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

    public func load(_ reference: String) throws -> MeshKeyring {
        try MeshKeyringFile.decode(try SecureFile.readSecret(location(of: reference)))
    }

    public func create(_ keyring: MeshKeyring, at reference: String) throws {
        try save(keyring, to: location(of: reference), overwrite: false)
    }

    public func update(_ reference: String, _ change: (inout MeshKeyring) throws -> Bool) throws -> MeshKeyring {
        var keyring = try load(reference)
        if try change(&keyring) { try save(keyring, to: location(of: reference), overwrite: true) }
        return keyring
    }

    private func save(_ keyring: MeshKeyring, to path: String, overwrite: Bool) throws {
        let parent = SecureFile.directory(of: path)
        if !FileManager.default.fileExists(atPath: parent) {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try SecureFile.write(secret: MeshKeyringFile.encode(keyring), to: path, overwrite: overwrite)
    }
}
