import ArborCore
import ArborOperations
import Foundation

/// A revocation list in one armored file (public, mode 0644), created by its first entry.
public struct RevocationListFile: RevocationListStore, Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func load() throws -> RevocationList {
        guard FileManager.default.fileExists(atPath: path) else { return RevocationList() }
        return try RevocationList(armored: try SecureFile.read(path))
    }

    public func save(_ list: RevocationList) throws {
        try SecureFile.write(list.armored, to: path, mode: .public, overwrite: true)
    }
}
