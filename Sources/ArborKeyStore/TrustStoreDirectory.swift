import ArborCore
import ArborOperations
import Foundation

/// The trust store on disk: one armored trust bundle per imported cluster, named by the hex key
/// identifier of its root, in one directory.
public struct TrustStoreDirectory: TrustStore, Sendable {
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

    /// What an import changed.
    public struct ImportOutcome: Sendable, Equatable {
        /// The root was not trusted before.
        public let isNew: Bool
        /// Revocations the store did not hold before.
        public let addedRevocations: Int
        /// Revocations held in all, after the merge.
        public let totalRevocations: Int
    }

    /// Adds a bundle whose safety number the caller has confirmed, under the cluster name the
    /// importer chose (the name inside a bundle is only a suggestion: the safety number covers
    /// the root keys, not the name).
    ///
    /// Re-importing a trusted root refreshes its revocations, which merge as a set: an import never
    /// drops a revocation, so an older bundle of the same cluster cannot lift one. A root already
    /// trusted under another name keeps it unless `rename` is set, and two roots never share a name.
    public func add(_ bundle: TrustBundle, name: String? = nil, rename: Bool = false) throws -> ImportOutcome {
        let localName = name ?? bundle.clusterName
        let existing = try bundles()
        if let other = existing.first(where: { $0.clusterName == localName && $0.anchor.keyID != bundle.anchor.keyID }) {
            throw ArborError(
                .conflict,
                "the trust store already trusts another root (\(other.anchor.keyID.shortHex)) as '\(localName)'; choose another name with --name"
            )
        }
        let previous = existing.first { $0.anchor.keyID == bundle.anchor.keyID }
        if let previous, previous.clusterName != localName, !rename {
            throw ArborError(
                .conflict,
                "this root is already trusted as '\(previous.clusterName)', and the bundle calls it '\(localName)'; import it with --name '\(previous.clusterName)' to refresh it, or pass --rename to rename it"
            )
        }
        let held = previous?.revocations ?? RevocationList()
        let merged = held.merging(bundle.revocations)
        let stored = try TrustBundle(clusterName: localName, chain: bundle.chain, revocations: merged)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try SecureFile.write(stored.armored, to: entryPath(for: bundle.anchor.keyID), mode: .public, overwrite: true)
        return ImportOutcome(
            isNew: previous == nil, addedRevocations: merged.revocations.count - held.revocations.count,
            totalRevocations: merged.revocations.count)
    }

    private func entryPath(for root: KeyID) -> String { "\(path)/\(root.hex).bundle" }
}
