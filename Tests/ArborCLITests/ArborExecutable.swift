import Foundation

/// Runs the built `arbor` executable, which SwiftPM places next to the test bundle.
struct ArborExecutable {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let url: URL
    /// A fresh directory for this test's files, and the trust store inside it.
    let directory: URL

    init() throws {
        let bundle = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        url = bundle.deletingLastPathComponent().appendingPathComponent("arbor")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try writeSecret("test passphrase\n", to: "pass")
        try writeSecret("another passphrase\n", to: "wrong-pass")
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A file holding a secret, readable by its owner only (arbor refuses others, as ssh does).
    func writeSecret(_ text: String, to name: String) throws {
        guard FileManager.default.createFile(atPath: path(name), contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path(name)])
        }
    }

    @discardableResult
    func run(_ arguments: [String], input: Data? = nil, environment extra: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["ARBOR_TRUST_STORE"] = path("trust")
        environment["ARBOR_KEYRINGS"] = path("keyrings")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            // Feed stdin from another thread so a large input cannot deadlock against full output pipes.
            let writer = inputPipe.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(input)
                try? writer.close()
            }
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    struct SetupFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// `root init` with a fast, test-only work factor; throws (failing the test) if it fails.
    @discardableResult
    func initRoot(_ name: String = "root.key") throws -> Outcome {
        let outcome = try run(["root", "init", "-o", name, "--passphrase-file", "pass", "--unsafe-scrypt-log-n", "10"])
        guard outcome.status == 0 else { throw SetupFailed(description: "root init failed: \(outcome.stderr)") }
        return outcome
    }

    func json(_ outcome: Outcome) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
