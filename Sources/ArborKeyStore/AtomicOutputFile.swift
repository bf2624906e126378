import ArborCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file written as a stream that appears at its path only when complete: bytes go to a
/// temporary file `.arbor-tmp-*` in the same directory, which `commit()` fsyncs and links into
/// place. Until then, and on any failure or `abandon()`, nothing exists at the path; the temporary
/// file is removed, also when the process is ended by a signal it handles (`TemporaryFiles`).
public final class AtomicOutputFile {
    public let path: String
    private let temporary: String
    private let mode: SecureFile.Mode
    private let overwrite: Bool
    private var descriptor: Int32
    private var done = false

    /// Refuses an existing `path` unless `overwrite` is set (checked now and again at commit).
    public init(path: String, mode: SecureFile.Mode, overwrite: Bool = false) throws {
        if !overwrite, FileManager.default.fileExists(atPath: path) {
            throw ArborError(.fileExists, "'\(path)' already exists; arbor will not overwrite it: move it away or choose another path")
        }
        let parent = SecureFile.directory(of: path)
        temporary = parent + "/" + TemporaryFiles.prefix + UUID().uuidString
        descriptor = TemporaryFiles.create(temporary, permissions: mode.permissions)
        guard descriptor >= 0 else {
            throw ArborError(
                .ioFailure,
                "cannot create a file in '\(parent)': \(SecureFile.errnoText()); check that the directory exists and is writable")
        }
        self.path = path
        self.mode = mode
        self.overwrite = overwrite
    }

    public func write<Bytes: Collection>(_ bytes: Bytes) throws where Bytes.Element == UInt8 {
        guard !done else { throw ArborError(.ioFailure, "internal error: write after the file was closed") }
        var failure: Int32 = 0
        let written: Void? = bytes.withContiguousStorageIfAvailable { failure = SecureFile.writeAll($0, to: descriptor) }
        if written == nil {
            var copy = Array(bytes)
            copy.withUnsafeBufferPointer { failure = SecureFile.writeAll($0, to: descriptor) }
            if mode == .secret { copy.wipe() }
        }
        guard failure == 0 else {
            abandon()
            throw ArborError(.ioFailure, "cannot write '\(path)': \(String(cString: strerror(failure)))")
        }
    }

    /// Makes the file appear at its path, complete and durable.
    public func commit() throws {
        guard !done else { throw ArborError(.ioFailure, "internal error: the file was already closed") }
        var failure: Int32 = 0
        // fchmod: the umask may have narrowed the mode given to open.
        if fchmod(descriptor, mode.permissions) != 0 { failure = errno }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        guard failure == 0 else {
            abandon()
            throw ArborError(.ioFailure, "cannot write '\(path)': \(String(cString: strerror(failure)))")
        }
        close(descriptor)
        done = true
        defer { removeTemporary() }
        if overwrite {
            guard rename(temporary, path) == 0 else { throw ArborError(.ioFailure, "cannot write '\(path)': \(SecureFile.errnoText())") }
        } else {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST {
                    throw ArborError(
                        .fileExists, "'\(path)' already exists; arbor will not overwrite it: move it away or choose another path")
                }
                throw ArborError(.ioFailure, "cannot write '\(path)': \(SecureFile.errnoText())")
            }
        }
        let directoryDescriptor = open(SecureFile.directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Discards everything written; nothing appears at the path.
    public func abandon() {
        guard !done else { return }
        done = true
        close(descriptor)
        removeTemporary()
    }

    private func removeTemporary() {
        unlink(temporary)
        TemporaryFiles.forget(temporary)
    }

    deinit { abandon() }
}
