import ArborCore
import ArborOperations
import Foundation

/// The files of one HSS signing key: the key `KEY`, its leaf state `KEY.state`, its lock
/// `KEY.lock` (see ``HSSStateFile`` for how each write is made durable) and its tree cache `KEY.tree`.
public struct HSSKeyFiles: LeafStateStore, Sendable {
    public let key: String
    public var state: String { HSSStateFile.statePath(forKey: key) }
    public var lock: String { HSSStateFile.lockPath(forKey: key) }
    public var treeCache: String { key + ".tree" }

    public init(key: String) { self.key = key }

    public var keyName: String { key }
    public var stateName: String { state }

    /// The key file holds the LMS seeds: refused if others may read it, as ssh refuses such keys.
    public func readKey() throws -> String {
        try SecureFile.readSecret(key).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    public func replaceKey(_ armored: String) throws { try HSSStateFile.replace(key, bytes: Array(armored.utf8)) }

    public func withExclusiveAccess<Result>(_ body: () throws -> Result) throws -> Result {
        try HSSStateFile.withExclusiveLock(lock, body)
    }

    public func stateExists() -> Bool { FileManager.default.fileExists(atPath: state) }
    public func readState() throws -> [UInt8] { try HSSStateFile.read(state) }
    public func createState(_ bytes: [UInt8]) throws { try HSSStateFile.create(state, bytes: bytes) }
    public func replaceState(_ bytes: [UInt8]) throws { try HSSStateFile.replace(state, bytes: bytes) }

    /// At most 4 MiB (an H25 cache is under 1 MiB); anything else is no cache.
    public func readTreeCache() -> [UInt8]? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: treeCache),
            let size = attributes[.size] as? Int, size <= 4 << 20, let data = FileManager.default.contents(atPath: treeCache)
        else { return nil }
        return Array(data)
    }

    /// Replaced atomically, mode 0600 like the key beside it (nothing in it is secret).
    public func replaceTreeCache(_ bytes: [UInt8]) throws {
        try SecureFile.write(bytes: bytes, to: treeCache, mode: .secret, overwrite: true)
    }
}
