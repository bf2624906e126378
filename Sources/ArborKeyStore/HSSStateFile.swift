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
            throw ArborError(.ioFailure, "cannot open the lock file '\(lockPath)': \(errnoText()); check the directory's permissions")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ArborError(.ioFailure, "cannot lock '\(lockPath)': \(errnoText())") }
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
        try durableWrite(path, bytes: bytes, permissions: 0o600, replacing: false)
    }

    /// Atomically replaces the state file; durable (file and directory fsynced) when it returns.
    public static func replace(_ path: String, bytes: [UInt8]) throws {
        try durableWrite(path, bytes: bytes, permissions: 0o600, replacing: true)
    }

    static func durableWrite(_ path: String, bytes: [UInt8], permissions: mode_t, replacing: Bool) throws {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let temporary = directory + "/.arbor-state-\(UUID().uuidString)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else {
            throw ArborError(.ioFailure, "cannot create a file in '\(directory)': \(errnoText()); check that it exists and is writable")
        }
        var linked = false
        defer { if !linked { unlink(temporary) } }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0, fchmod(descriptor, permissions) != 0 { failure = errno }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        guard failure == 0 else {
            throw ArborError(.ioFailure, "cannot write '\(path)': \(String(cString: strerror(failure)))")
        }
        if replacing {
            guard rename(temporary, path) == 0 else {
                throw ArborError(.ioFailure, "cannot replace '\(path)': \(errnoText())")
            }
            linked = true
        } else {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST {
                    throw ArborError(
                        .fileExists, "'\(path)' already exists; arbor will not overwrite it: move it away or choose another path")
                }
                throw ArborError(.ioFailure, "cannot write '\(path)': \(errnoText())")
            }
            unlink(temporary)
            linked = true
        }
        try syncDirectory(directory)
    }

    /// fsync on the directory makes the rename itself durable.
    private static func syncDirectory(_ directory: String) throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArborError(.ioFailure, "cannot open '\(directory)' to sync it: \(errnoText())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw ArborError(.ioFailure, "cannot sync the directory '\(directory)': \(errnoText()); the state may not be durable")
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Binary files that are not leaf states (RFC 8554 public keys and signatures, delegations):
/// written durably, never over an existing file.
public enum BinaryFile {
    public static func write(_ bytes: [UInt8], to path: String, mode: SecureFile.Mode) throws {
        try HSSStateFile.durableWrite(path, bytes: bytes, permissions: mode == .secret ? 0o600 : 0o644, replacing: false)
    }

    public static func read(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ArborError(.fileNotFound, "'\(path)' does not exist; check the path")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArborError(.ioFailure, "cannot read '\(path)'; check its permissions")
        }
        guard data.count <= 64 << 20 else { throw ArborError(.malformedInput, "'\(path)' is larger than any Arbor file") }
        return Array(data)
    }
}
