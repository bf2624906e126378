import ArborCore
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and writes Arbor's files. Writes go to a temporary file in the same directory, are
/// fsynced, then linked (or renamed) into place and the directory fsynced, so a reader never sees
/// half a file and a crash leaves nothing at the destination.
public enum SecureFile {
    public enum Mode: Sendable {
        /// 0600: anything that holds a secret.
        case secret
        /// 0644: certificates, bundles, revocation lists.
        case `public`

        var permissions: mode_t { self == .secret ? 0o600 : 0o644 }
    }

    /// The directory a path's file is in: "." for a bare name, "/" for a file at the root.
    /// (Foundation's `deletingLastPathComponent` traps on one-character paths on Linux.)
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A path's last component: the file name.
    public static func fileName(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// Writes `text`; refuses to replace an existing file unless `overwrite` is set.
    public static func write(_ text: String, to path: String, mode: Mode, overwrite: Bool = false) throws {
        var bytes = Array(text.utf8)
        defer { if mode == .secret { bytes.wipe() } }
        try write(bytes: bytes, to: path, mode: mode, overwrite: overwrite)
    }

    /// Writes a secret (0600) from wiped-on-release memory.
    public static func write(secret: SecretBytes, to path: String, overwrite: Bool = false) throws {
        try secret.withUnsafeBytes { try write(buffer: $0.bindMemory(to: UInt8.self), to: path, mode: .secret, overwrite: overwrite) }
    }

    /// Writes `bytes` durably: when this returns, the file and its directory entry are on disk.
    public static func write(bytes: [UInt8], to path: String, mode: Mode, overwrite: Bool = false) throws {
        try bytes.withUnsafeBufferPointer { try write(buffer: $0, to: path, mode: mode, overwrite: overwrite) }
    }

    private static func write(buffer: UnsafeBufferPointer<UInt8>, to path: String, mode: Mode, overwrite: Bool) throws {
        let directory = directory(of: path)
        let temporary = directory + "/" + TemporaryFiles.prefix + UUID().uuidString
        // Recorded, so that a process ended by SIGINT or SIGTERM removes it (a key being written).
        let descriptor = TemporaryFiles.create(temporary, permissions: mode.permissions)
        guard descriptor >= 0 else {
            throw ArborError(
                .ioFailure, "cannot create a file in '\(directory)': \(errnoText()); check that the directory exists and is writable")
        }
        defer {
            unlink(temporary)
            TemporaryFiles.forget(temporary)
        }
        var failure = writeAll(buffer, to: descriptor)
        // fchmod: the umask may have narrowed the mode given to open.
        if failure == 0, fchmod(descriptor, mode.permissions) != 0 { failure = errno }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        guard failure == 0 else {
            throw ArborError(.ioFailure, "cannot write '\(path)': \(String(cString: strerror(failure)))")
        }
        if overwrite {
            guard rename(temporary, path) == 0 else { throw ArborError(.ioFailure, "cannot write '\(path)': \(errnoText())") }
        } else {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST {
                    throw ArborError(
                        .fileExists, "'\(path)' already exists; arbor will not overwrite it: move it away or choose another path")
                }
                throw ArborError(.ioFailure, "cannot write '\(path)': \(errnoText())")
            }
        }
        try syncDirectory(directory)
    }

    public static func read(_ path: String) throws -> String { String(decoding: try readBytes(path), as: UTF8.self) }

    public static func readBytes(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ArborError(.fileNotFound, "'\(path)' does not exist; check the path")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArborError(.ioFailure, "cannot read '\(path)'; check its permissions")
        }
        guard data.count <= 64 << 20 else { throw ArborError(.malformedInput, "'\(path)' is larger than any Arbor file") }
        return [UInt8](data)
    }

    /// The most a file holding a secret may hold: key files are a few kilobytes.
    public static let secretFileLimit = 1 << 20

    /// Reads a file that holds a secret into wiped-on-release memory, as ssh reads a private key: a
    /// regular file that other users may read or write is refused (`insecure permissions`), since
    /// its secret must be taken as exposed. Pipes, FIFOs and terminals (`<(…)`, `mkfifo`) have no
    /// such bits to check and are read as they are, once, to their end. `-` and `/dev/stdin` read
    /// descriptor 0 itself, claimed for `what` (see ``StandardInput``).
    public static func readSecret(_ path: String, what: String = "a secret") throws -> SecretBytes {
        if StandardInput.isNamed(by: path) {
            try StandardInput.claim(for: what)
            var status = stat()
            guard fstat(0, &status) == 0 else { throw ArborError(.ioFailure, "cannot read '\(path)': \(errnoText())") }
            try claimPipe(status, path: path)
            return try readSecret(descriptor: 0, path: path)
        }
        // Before opening: opening a FIFO whose writer is gone would block for ever.
        var status = stat()
        if stat(path, &status) == 0 { try claimPipe(status, path: path) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw ArborError(.fileNotFound, "'\(path)' does not exist; check the path") }
            throw ArborError(.ioFailure, "cannot read '\(path)': \(errnoText())")
        }
        defer { close(descriptor) }
        return try readSecret(descriptor: descriptor, path: path)
    }

    /// Pipes and FIFOs already read to their end, by device and inode (so `/dev/fd/63` and
    /// `/proc/self/fd/63` are one): a second read would find them empty, or block.
    private static let drainedPipes = Mutex<Set<[UInt64]>>([])

    private static func claimPipe(_ status: stat, path: String) throws {
        guard status.st_mode & S_IFMT == S_IFIFO else { return }
        let first = drainedPipes.withLock { $0.insert([UInt64(status.st_dev), UInt64(status.st_ino)]).inserted }
        guard first else {
            throw ArborError(
                .invalidArgument, "'\(path)' is a pipe and was read already for another secret; give each secret its own file or pipe")
        }
    }

    private static func readSecret(descriptor: Int32, path: String) throws -> SecretBytes {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ArborError(.ioFailure, "cannot read '\(path)': \(errnoText())") }
        if status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o077 != 0 {
            throw ArborError(
                .insecurePermissions,
                "'\(path)' holds a secret but other users may access it (mode \(String(status.st_mode & 0o777, radix: 8))); run 'chmod 600 \(path)', and replace the key if others could have read it"
            )
        }
        var total = 0
        let buffer = try SecretBytes(count: secretFileLimit + 1) { buffer in
            while total < buffer.count {
                let count = Glibc.read(descriptor, buffer.baseAddress! + total, buffer.count - total)
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { throw ArborError(.ioFailure, "cannot read '\(path)': \(errnoText())") }
                if count == 0 { break }
                total += count
            }
        }
        guard total <= secretFileLimit else { throw ArborError(.malformedInput, "'\(path)' is larger than any Arbor key file") }
        return buffer.prefix(total)
    }

    /// fsync on the directory makes the new name itself durable.
    static func syncDirectory(_ directory: String) throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArborError(.ioFailure, "cannot open '\(directory)' to sync it: \(errnoText())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw ArborError(.ioFailure, "cannot sync the directory '\(directory)': \(errnoText()); the file may not be durable")
        }
    }

    /// Writes the whole buffer, retrying after signals; returns 0 or the errno that stopped it.
    public static func writeAll(_ buffer: UnsafeBufferPointer<UInt8>, to descriptor: Int32) -> Int32 {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return 0
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
