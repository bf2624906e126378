import ArborOperations
import Foundation

/// A small state file (0600) updated under an exclusive lock on `PATH.lock`, so concurrent runs
/// of one service serialise (the replay guard of `keyring open`).
public struct LockedStateFile: StateStore, Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func update<Result>(_ body: (inout [UInt8]?) throws -> Result) throws -> Result {
        try HSSStateFile.withExclusiveLock(path + ".lock") {
            let before = FileManager.default.fileExists(atPath: path) ? try SecureFile.readBytes(path) : nil
            var state = before
            let result = try body(&state)
            if let state, state != before { try SecureFile.write(bytes: state, to: path, mode: .secret, overwrite: true) }
            return result
        }
    }
}
