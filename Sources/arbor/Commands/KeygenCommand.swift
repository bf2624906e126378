import ArborCore
import ArborKeyStore
import ArborSeal
import ArgumentParser
import Foundation

struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an age identity (X25519, or post-quantum with --pq), as age-keygen does.",
        discussion: """
            Writes '# created:' and '# public key:' comment lines and the secret key (AGE-SECRET-KEY-1… or \
            AGE-SECRET-KEY-PQ-1…). With -o the file is created with mode 0600 (replaced only with --force) and the public key \
            is printed on standard error. -y prints the recipients of an existing identity file instead.
            """
    )

    @Flag(name: .long, help: "Generate a post-quantum (ML-KEM-768 + X25519) identity; its recipient is age1pq1….")
    var pq = false

    @Option(name: .output, help: ArgumentHelp("Write the identity to this file (mode 0600).", valueName: "file"))
    var output: String?

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @Flag(name: .customShort("y"), help: "Print the recipient of each identity in the input file instead.")
    var convert = false

    @Argument(help: ArgumentHelp("With -y: the identity file (default: standard input).", valueName: "in"))
    var input: String?

    func run() async throws {
        if convert { return try printRecipients() }
        guard input == nil else { throw ArborError(.invalidArgument, "an input file goes with -y only") }
        let identity = pq ? try AgeIdentity.generatePostQuantum() : AgeIdentity.generateX25519()
        guard let recipient = identity.recipient?.encoded, let secret = identity.encodedSecretKey() else {
            throw ArborError(.invalidArgument, "internal error: a generated identity has no key")
        }
        // The file is assembled in wiped-on-release memory: the secret line never becomes a String.
        let header = Array("# created: \(Timestamp.format(now()))\n# public key: \(recipient)\n".utf8)
        let file = secret.withUnsafeBytes { line in
            SecretBytes(count: header.count + line.count + 1) { file in
                file.copyBytes(from: header)
                UnsafeMutableRawBufferPointer(rebasing: file[header.count...]).copyMemory(from: line)
                file[file.count - 1] = UInt8(ascii: "\n")
            }
        }
        if let output, output != "-" {
            try SecureFile.write(secret: file, to: output, overwrite: force)
            FileHandle.standardError.write(Data("Public key: \(recipient)\n".utf8))
        } else {
            try file.withUnsafeBytes { try FileHandle.standardOutput.write(contentsOf: $0) }
        }
    }

    private func printRecipients() throws {
        let lines = try readingFile(input) {
            let file = try SecureFile.readSecret(input ?? "-", what: "the identity file")
            return try AgeIdentity.parseFile(file).compactMap { $0.recipient?.encoded }
        }
        let result = lines.joined(separator: "\n") + "\n"
        if let output, output != "-" {
            try SecureFile.write(result, to: output, mode: .public, overwrite: force)
        } else {
            print(result, terminator: "")
        }
    }
}
