import ArborTestSupport
import Foundation
import Testing

/// Helpers for the custody CLI tests: running arbor with standard input, checking errors, and
/// finding the independent Python implementations.
extension ArborExecutable {
    /// Runs arbor with `input` on standard input.
    @discardableResult
    func run(_ arguments: [String], input: String) throws -> Outcome {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["ARBOR_TRUST_STORE"] = path("trust")
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        let standardInput = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = standardInput
        try process.run()
        standardInput.fileHandleForWriting.write(Data(input.utf8))
        try standardInput.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    func write(_ text: String, to name: String) throws {
        // 0600: these files hold passphrases and shares, which arbor refuses to read if others may.
        guard FileManager.default.createFile(atPath: path(name), contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path(name)])
        }
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    /// An Arbor node key NAME.key and chain NAME.chain for `nodePath`, under root.key (made first if missing).
    func makeNodeIdentity(_ nodePath: String, name: String) throws {
        if !FileManager.default.fileExists(atPath: path("root.key")) { try initRoot() }
        for arguments in [
            ["derive", nodePath, "--root", "root.key", "--passphrase-file", "pass", "-o", "\(name).key"],
            ["cert", "issue", nodePath, "--root", "root.key", "--passphrase-file", "pass", "-o", "\(name).chain"],
        ] {
            let outcome = try run(arguments)
            guard outcome.status == 0 else { throw SetupFailed(description: "\(arguments[0]) failed: \(outcome.stderr)") }
        }
    }

    /// `hss keygen --node` for NAME.hss, its request signed by the node identity NAME (made first).
    func makeHSSNode(_ name: String, path nodePath: String, height: String = "5", winternitz: String = "8") throws -> Outcome {
        try makeNodeIdentity(nodePath, name: name)
        return try run([
            "hss", "keygen", "--node", "--height", height, "--winternitz", winternitz, "-o", "\(name).hss", "--node-key", "\(name).key",
            "--chain", "\(name).chain",
        ])
    }

    func permissions(_ name: String) throws -> Int? {
        (try FileManager.default.attributesOfItem(atPath: path(name))[.posixPermissions] as? NSNumber)?.intValue
    }
}

enum CustodyTest {
    /// A failure is one line on stderr, "arbor: error: …", with the documented status.
    static func expectError(
        _ outcome: ArborExecutable.Outcome, status: Int32, mentioning texts: String..., sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(outcome.status == status, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.split(separator: "\n").count == 1, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.hasPrefix("arbor: error: "), "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        for text in texts {
            #expect(outcome.stderr.contains(text), "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        }
    }

    static func expectSuccess(_ outcome: ArborExecutable.Outcome, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
    }

    /// Whether `python3 -c "import MODULE"` works; otherwise a SKIPPED line naming the test, or a
    /// failure when `ARBOR_REQUIRE_PEERS=1` (`Peers`).
    static func python(has module: String, for test: String) -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import \(module)"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else {
            Peers.missing("\(test): python3 is not installed")
            return false
        }
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            Peers.missing("\(test): the Python module '\(module)' is not installed (scripts/test installs it with pip)")
            return false
        }
        return true
    }

    /// Runs a Python script with arguments in `directory`; returns status and standard output.
    static func runPython(_ script: String, _ arguments: [String], in directory: URL) throws -> (
        status: Int32, output: String, errors: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex text: String) -> [UInt8] {
        var bytes = [UInt8]()
        var index = text.startIndex
        while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
            bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}
