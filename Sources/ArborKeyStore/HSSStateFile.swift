import ArborCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The durable storage of a hash-based signing key's leaf state (`docs/custody-formats.md` §3.6).
///
/// The state file is small and rewritten at every reservation, always the same way: write a
/// temporary file in the same directory, fsync it, rename it over the state file, fsync the
/// directory. Only after `replace` returns is the new state durable, and only then may a
/// signature made with the reserved leaves leave the process. A crash at any point leaves either
/// the old state or the new one, never a torn file. Signers of one key on one machine are
/// serialised by an exclusive `flock` on a lock file next to the key, so two processes cannot
/// read the same counter.
///
/// This type moves bytes only; their meaning (`LMSLeafState`) is in `ArborCustody`.
public enum HSSStateFile {
    /// The conventional state path for a key file: `node.hss` → `node.hss.state`.
    public static func statePath(forKey keyPath: String) -> String { keyPath + ".state" }

    /// The lock file for a key file: `node.hss` → `node.hss.lock`.
    public static func lockPath(forKey keyPath: String) -> String { keyPath + ".lock" }

    /// Runs `body` while holding an exclusive lock on `lockPath` (created 0600 if missing).
    public static func withExclusiveLock<Result>(_ lockPath: String, _ body: () throws -> Result) throws -> Result {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ArborError(
                .ioFailure, "cannot open the lock file '\(lockPath)': \(SecureFile.errnoText()); check the directory's permissions")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ArborError(.ioFailure, "cannot lock '\(lockPath)': \(SecureFile.errnoText())") }
        }
        defer { _ = flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// The state file's bytes; `fileNotFound` if it does not exist.
    public static func read(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ArborError(.fileNotFound, "the leaf state file '\(path)' does not exist; see docs/custody.md before recreating it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArborError(.ioFailure, "cannot read '\(path)'; check its permissions")
        }
        guard data.count <= 4096 else { throw ArborError(.corruptFile, "'\(path)' is too large to be a leaf state file") }
        return Array(data)
    }

    /// Writes a new state file; refuses to replace an existing one. Durable when it returns.
    public static func create(_ path: String, bytes: [UInt8]) throws {
        try SecureFile.write(bytes: bytes, to: path, mode: .secret)
    }

    /// Atomically replaces the state file; durable (file and directory fsynced) when it returns.
    public static func replace(_ path: String, bytes: [UInt8]) throws {
        try SecureFile.write(bytes: bytes, to: path, mode: .secret, overwrite: true)
    }

}
