import ArborCore
import ArborOperations
import Foundation

/// The trust store on disk: one armored trust bundle per imported cluster, named by the hex key
/// identifier of its root, in one directory. What to keep is `TrustImport`'s decision.
public struct TrustStoreDirectory: WritableTrustStore, Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `$ARBOR_TRUST_STORE`, else `$HOME/.config/arbor/trust`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["ARBOR_TRUST_STORE"], !explicit.isEmpty { return explicit }
        return (environment["HOME"] ?? ".") + "/.config/arbor/trust"
    }

    public func bundles() throws -> [TrustBundle] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".bundle") }.sorted()
        return try names.map { name in
            do {
                return try TrustBundle(armored: try SecureFile.read(path + "/" + name))
            } catch let error as ArborError {
                throw ArborError(
                    error.code,
                    "the trust store entry '\(path)/\(name)' is unreadable (\(error.message)); remove it and import the bundle again")
            }
        }
    }

    public func anchors() throws -> [TrustAnchor] { try bundles().map(\.anchor) }

    public var location: String { path }

    /// Writes the bundle as its root's entry (creating the directory 0700), replacing the old one.
    public func save(_ bundle: TrustBundle) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try SecureFile.write(bundle.armored, to: entryPath(for: bundle.anchor.keyID), mode: .public, overwrite: true)
    }

    public func remove(root: KeyID) throws {
        let entry = entryPath(for: root)
        guard FileManager.default.fileExists(atPath: entry) else { return }
        do {
            try FileManager.default.removeItem(atPath: entry)
        } catch {
            throw ArborError(.ioFailure, "cannot remove \(entry) from the trust store")
        }
    }

    private func entryPath(for root: KeyID) -> String { "\(path)/\(root.hex).bundle" }
}
