import ArborCore
import ArborKeyStore
import ArborOperations
import Foundation

/// Reads all of standard input or a file, bounded, for commands that take small inputs.
func readInput(_ path: String?, limit: Int = 64 << 20) throws -> Data {
    try readingFile(path) { try readWhole(path, limit: limit) }
}

private func readWhole(_ path: String?, limit: Int) throws -> Data {
    let handle: FileHandle
    if let path, !StandardInput.isNamed(by: path) {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw ArborError(.fileNotFound, "cannot read '\(path)'; check the path and its permissions")
        }
        handle = file
    } else {
        try StandardInput.claim(for: "the data")
        handle = FileHandle.standardInput
    }
    var data = Data()
    while let chunk = try readPiece(of: handle, path), !chunk.isEmpty {
        data.append(chunk)
        guard data.count <= limit else {
            throw ArborError(
                .invalidArgument, "the input is larger than \(limit >> 20) MiB; use a streaming command ('arbor encrypt') for large data")
        }
    }
    return data
}

/// Feeds a file or standard input to `body` in 64 KiB pieces, in constant memory.
func streamInput(_ path: String?, _ body: (Data) throws -> Void) throws {
    let handle: FileHandle
    if let path, !StandardInput.isNamed(by: path) {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw ArborError(.fileNotFound, "cannot read '\(path)'; check the path and its permissions")
                .concerning(file: path, label: Invocation.label(for: path))
        }
        handle = file
    } else {
        try StandardInput.claim(for: "the data")
        handle = FileHandle.standardInput
    }
    while let chunk = try readPiece(of: handle, path), !chunk.isEmpty { try body(chunk) }
}

/// The next 64 KiB; a read that fails (a directory, an I/O error) is a file problem that says so.
private func readPiece(of handle: FileHandle, _ path: String?) throws -> Data? {
    do {
        return try handle.read(upToCount: 1 << 16)
    } catch {
        throw ArborError(.ioFailure, "cannot read '\(path ?? "-")' (\(error.localizedDescription)); is it a regular file?")
    }
}

func writeStandardOutput(_ bytes: some DataProtocol) {
    FileHandle.standardOutput.write(Data(bytes))
}
