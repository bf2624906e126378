import ArborCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Replacing files in place, for a key replacement that must survive a crash at any step.
extension SecureFile {
    /// Renames `source` over `destination` (one atomic step: a reader sees the old file or the new
    /// one) and syncs the directory, so the new name is durable when this returns.
    public static func move(_ source: String, over destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw ArborError(.ioFailure, "cannot rename '\(source)' to '\(destination)': \(errnoText())")
        }
        try syncDirectory(directory(of: destination))
    }

    /// Overwrites a file's bytes with zeros and syncs them, before the file is replaced or
    /// removed: its secret is not left in the freed blocks. Best effort only (a copy-on-write or
    /// journalling file system, or an SSD, may keep the old blocks). A missing file is no error.
    public static func overwriteWithZeros(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return }
            throw ArborError(.ioFailure, "cannot open '\(path)' to wipe it: \(errnoText())")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ArborError(.ioFailure, "cannot wipe '\(path)': \(errnoText())") }
        let zeros = [UInt8](repeating: 0, count: Int(status.st_size))
        var failure = zeros.withUnsafeBufferPointer { writeAll($0, to: descriptor) }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        guard failure == 0 else { throw ArborError(.ioFailure, "cannot wipe '\(path)': \(String(cString: strerror(failure)))") }
    }
}
