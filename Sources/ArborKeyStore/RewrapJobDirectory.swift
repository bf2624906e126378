import ArborCore
import ArborOperations
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A rewrap job's files beside its token file `F`: the new lines in `F.rewrap` and the progress in
/// `F.rewrap-state` (JSON, counts and offsets only), both 0600. `finish` renames `F.rewrap` over
/// `F`, keeping `F`'s permissions, and removes the state.
public struct RewrapJobDirectory: RewrapJobFiles {
    public let tokenFile: String
    public var outputFile: String { tokenFile + ".rewrap" }
    public var stateFile: String { tokenFile + ".rewrap-state" }

    public init(tokenFile: String) { self.tokenFile = tokenFile }

    public func readInput() throws -> [UInt8] { try SecureFile.readBytes(tokenFile) }

    public func loadState() throws -> RewrapJobState? {
        guard FileManager.default.fileExists(atPath: stateFile) else { return nil }
        do {
            return try JSONDecoder().decode(RewrapJobState.self, from: Data(try SecureFile.readBytes(stateFile)))
        } catch is DecodingError {
            throw ArborError(.corruptFile, "\(stateFile) is not a rewrap job's state; delete it to start the job over")
        }
    }

    public func saveState(_ state: RewrapJobState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try SecureFile.write(bytes: Array(try encoder.encode(state)), to: stateFile, mode: .secret, overwrite: true)
    }

    public func truncateOutput(to size: Int) throws {
        let descriptor = open(outputFile, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ArborError(.ioFailure, "cannot open \(outputFile): \(SecureFile.errnoText())") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, Int(status.st_size) >= size else {
            throw ArborError(
                .corruptFile, "\(outputFile) is shorter than the job's state says; delete \(stateFile) and \(outputFile) to start over")
        }
        guard ftruncate(descriptor, off_t(size)) == 0, fsync(descriptor) == 0 else {
            throw ArborError(.ioFailure, "cannot cut \(outputFile) back to \(size) bytes: \(SecureFile.errnoText())")
        }
    }

    public func appendOutput(_ bytes: [UInt8]) throws {
        let descriptor = open(outputFile, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArborError(.ioFailure, "cannot open \(outputFile): \(SecureFile.errnoText())") }
        defer { close(descriptor) }
        let failure = bytes.withUnsafeBufferPointer { SecureFile.writeAll($0, to: descriptor) }
        guard failure == 0, fsync(descriptor) == 0 else {
            throw ArborError(.ioFailure, "cannot write \(outputFile): \(String(cString: strerror(failure == 0 ? errno : failure)))")
        }
    }

    public func finish() throws {
        var status = stat()
        guard stat(tokenFile, &status) == 0 else { throw ArborError(.ioFailure, "cannot read the permissions of \(tokenFile)") }
        guard chmod(outputFile, status.st_mode & 0o777) == 0, rename(outputFile, tokenFile) == 0 else {
            throw ArborError(.ioFailure, "cannot put \(outputFile) in place of \(tokenFile): \(SecureFile.errnoText())")
        }
        try SecureFile.syncDirectory(SecureFile.directory(of: tokenFile))
        unlink(stateFile)
    }
}
