import ArborCore
import ArborCustody
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

struct RootSplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split the root key into share files, one per holder (mode 0600); the root is never printed.",
        discussion: """
            Opens the encrypted root key, splits its 32 bytes into t-of-n Arbor shares (or SLIP-39 mnemonics with \
            --slip39, optionally in groups), checks right away that the shares recombine to the root, and writes \
            one file per holder into the output directory. Follow the ceremony in docs/custody.md.
            Example: arbor root split --root root.key --threshold 3 --shares 5 -o shares/
            """
    )

    @Option(name: .long, help: ArgumentHelp("The encrypted root key file.", valueName: "file"))
    var root: String = "root.key"

    @OptionGroup var split: SplitOptions

    @Flag(
        name: .customLong("unsafe-threshold-one"),
        help: "Allow a split where one share alone recovers the root (anyone could then forge a share of another root).")
    var unsafeThresholdOne = false

    @Option(
        name: .customLong("slip39-passphrase-file"),
        help: ArgumentHelp("SLIP-39: also encrypt the root under the passphrase on this file's first line.", valueName: "file"))
    var slip39PassphraseFile: String?

    @Option(name: .output, help: ArgumentHelp("The directory for the share files (created 0700 if missing).", valueName: "dir"))
    var out: String

    @Flag(name: .force, help: "Replace share files of the same names already in --output.")
    var force = false

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let plan = try split.plan()
        try RootShareFiles.checkThreshold(plan, unsafeThresholdOne: unsafeThresholdOne)
        try checkDirectory(out)
        let rootKey = try openRoot(root, passphrase: passphrase.source)
        let (shareFiles, rootKeyID) = try RootShareFiles.split(
            rootKey, plan: plan, unsafeThresholdOne: unsafeThresholdOne,
            slip39Passphrase: try split.slip39Passphrase(plan: plan, file: slip39PassphraseFile),
            iterationExponent: split.iterationExponent, extendable: split.extendable)
        try writeShareFiles(shareFiles.files)
        let result = RootSplitSummary(shareFiles, rootKeyID: rootKeyID)
        try output.emit(
            result,
            human: """
                split root key \(result.rootKeyID) into \(counted(result.files.count, "\(result.format) share")) of set \(result.set), checked to recombine
                wrote into \(out) (mode 0600), one file per holder:
                \(result.files.map { "    " + $0 }.joined(separator: "\n"))
                """)
    }

    /// Checked before the root is opened; the directory itself is made only once the shares are.
    private func checkDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ArborError(.fileExists, "'\(path)' exists and is not a directory")
        }
    }

    /// Writes one file per holder into `out` (created 0700 if missing). If any write fails, the files
    /// written so far and a directory made here are removed: a failed split leaves nothing behind,
    /// least of all part of a share set.
    private func writeShareFiles(_ files: [RootShareFiles.File]) throws {
        let created = !FileManager.default.fileExists(atPath: out)
        if created {
            do {
                try FileManager.default.createDirectory(
                    atPath: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ArborError(.ioFailure, "cannot create the directory '\(out)'; check the parent's permissions")
            }
        }
        var written = [String]()
        do {
            for file in files {
                let path = (out as NSString).appendingPathComponent(file.name)
                try SecureFile.write(file.contents, to: path, mode: .secret, overwrite: force)
                written.append(path)
            }
        } catch {
            for path in written { try? FileManager.default.removeItem(atPath: path) }
            if created { _ = rmdir(out) }
            throw error
        }
    }
}

struct RootRecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Rebuild the root key from shares and write it re-encrypted under a new passphrase; it is never printed.",
        discussion: """
            Asks for the shares one at a time on the terminal (not echoed) and says how many are still needed; a share \
            that is mistyped or from another set is refused and can be typed again. Then asks for a new passphrase \
            twice and writes the root key file (0600). The recovered root must match the key id of the root certificate \
            given with --anchor, or nothing is written (exit 3). Shares of threshold 1 are refused: one such share is \
            the root itself, and anyone can make one (--unsafe-threshold-one accepts them; --unsafe-no-anchor skips \
            the certificate, with a warning). For automation: --shares-file FILE and --passphrase-file FILE. \
            --check-only checks the shares against --anchor and writes nothing (for share ceremonies and drills).
            """
    )

    @Flag(name: .long, help: "The shares are SLIP-39 mnemonics.")
    var slip39 = false

    @Option(name: .long, help: ArgumentHelp("Read the shares from this file, one per line, instead of the terminal.", valueName: "file"))
    var sharesFile: String?

    @Option(
        name: .customLong("slip39-passphrase-file"),
        help: ArgumentHelp("SLIP-39: the passphrase the root was encrypted under, on this file's first line.", valueName: "file"))
    var slip39PassphraseFile: String?

    @Option(name: .anchor, help: ArgumentHelp("The root certificate the recovered root must match (required).", valueName: "file"))
    var rootCert: String?

    @Flag(
        name: .customLong("unsafe-no-anchor"),
        help: "Recover without --anchor: nothing then shows that the shares are not forged to give another root.")
    var unsafeNoRootCert = false

    @Flag(
        name: .customLong("unsafe-threshold-one"),
        help: "Accept shares of threshold 1, one of which alone is a root (and is trivially forged).")
    var unsafeThresholdOne = false

    @Flag(name: .long, help: "Only check the shares against --anchor; write nothing.")
    var checkOnly = false

    @Option(name: .output, help: ArgumentHelp("Where to write the recovered, re-encrypted root key.", valueName: "file"))
    var out: String?

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @Option(name: .long, help: .hidden)
    var unsafeScryptLogN: UInt8?

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var output: OutputOptions

    func checkArguments() throws {
        guard (rootCert != nil) != unsafeNoRootCert else {
            throw ArborError(
                .invalidArgument,
                rootCert == nil
                    ? "pass --anchor root.cert: without it a forged share could recover a root of someone else's choosing "
                        + "(--unsafe-no-anchor skips this check)"
                    : "--anchor and --unsafe-no-anchor contradict each other; drop --unsafe-no-anchor")
        }
        if checkOnly {
            guard rootCert != nil, out == nil else { throw ArborError(.invalidArgument, "--check-only needs --anchor and takes no -o") }
        } else {
            guard out != nil else { throw ArborError(.invalidArgument, "say where to write the recovered root: -o root.key") }
        }
        guard slip39 || slip39PassphraseFile == nil else { throw ArborError(.invalidArgument, "--slip39-passphrase-file needs --slip39") }
    }

    func run() async throws {
        try checkArguments()
        if let out, !force, FileManagerProbe.exists(out) {
            throw ArborError(.fileExists, "'\(out)' already exists; arbor will not overwrite it: move it away or choose another path")
        }
        let expectedKeyID = try rootCert.map { try readChain($0).loneRootCertificate("'\($0)'").keyID }
        let slip39Passphrase = try readSLIP39Passphrase(slip39PassphraseFile)
        var secret: [UInt8]
        if let sharesFile {
            // Shares are secrets: refused if others may read the file, as key files are.
            var input = try SecureFile.readSecret(sharesFile, what: "the shares").withUnsafeBytes { Array($0) }
            defer { input.wipe() }
            let lines = ShareLine.parse(input)
            guard !lines.isEmpty else { throw ArborError(.invalidArgument, "'\(sharesFile)' holds no shares") }
            secret = try RootRecovery.combine(
                lines, slip39: slip39, acceptsThresholdOne: unsafeThresholdOne, slip39Passphrase: slip39Passphrase)
        } else {
            secret = try ShareConversation(slip39: slip39, acceptsThresholdOne: unsafeThresholdOne).collect(
                slip39Passphrase: slip39Passphrase)
        }
        let (recovered, keyID) = try RootRecovery.root(
            consuming: &secret, expectedKeyID: expectedKeyID, certificateName: rootCert ?? "the root certificate")
        if unsafeNoRootCert {
            FileHandle.standardError.write(
                Data(
                    ("arbor: warning: --unsafe-no-anchor: the recovered root (key id \(keyID.hex)) is not checked against the root "
                        + "certificate; forged shares could make it any root\n").utf8))
        }
        if let out {
            var parameters = EncryptedRootKeyFile.Parameters.default
            if let unsafeScryptLogN { parameters = .unsafe(logN: unsafeScryptLogN) }
            let newPassphrase = try readNewPassphrase()
            try SecureFile.write(
                try EncryptedRootKeyFile.seal(recovered, passphrase: newPassphrase, parameters: parameters), to: out, mode: .secret,
                overwrite: force)
        }
        let check =
            expectedKeyID == nil
            ? "not checked against a root certificate (pass --anchor root.cert)" : "matches the root certificate \(rootCert!)"
        try output.emit(
            RootRecoverySummary(keyFile: out, rootKeyID: keyID, checkedAgainstCertificate: expectedKeyID != nil),
            human: (out.map { "wrote recovered root key \($0) (mode 0600), encrypted under the new passphrase\n" } ?? "")
                + "root key id \(keyID.hex): \(check)")
    }
}

extension RootRecoverCommand {
    /// The recovered root's new passphrase. On the terminal, a mismatch, an empty or a short
    /// passphrase asks again: the shares typed before it are not thrown away.
    func readNewPassphrase() throws -> SecretBytes {
        let prompt = "New passphrase for the recovered root key: "
        guard case .terminal = passphrase.source else { return try passphrase.source.read(prompt: prompt, confirm: true) }
        let terminal = try TerminalPrompt(alternative: "pass --passphrase-file FILE")
        guard let typed = terminal.readNewPassphrase(prompt: prompt, minimumLength: EncryptedRootKeyFile.minimumPassphraseLength)
        else { throw ArborError(.invalidArgument, "the input ended before a new passphrase was given; nothing was written") }
        return typed
    }
}

/// Asks for shares one at a time on the terminal until enough are in, refusing (and asking again
/// for) any share that does not parse, belongs to another set, or repeats one already given.
private struct ShareConversation {
    let slip39: Bool
    let acceptsThresholdOne: Bool

    func collect(slip39Passphrase: String) throws -> [UInt8] {
        let terminal = try TerminalPrompt(alternative: "pass the shares with --shares-file FILE")
        terminal.say(
            slip39
                ? "Type the SLIP-39 mnemonics one at a time (input is not echoed)." : "Type the shares one at a time (input is not echoed)."
        )
        var collector = ShareCollector(slip39: slip39, acceptsThresholdOne: acceptsThresholdOne, slip39Passphrase: slip39Passphrase)
        var number = 1
        while true {
            guard let line = terminal.readSecretLine(prompt: slip39 ? "Mnemonic \(number): " : "Share \(number): ") else {
                throw ArborError(.invalidArgument, "the input ended before enough shares were given; nothing was written")
            }
            let text = line.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            switch try collector.add(text) {
            case .refused(let reason): terminal.say("refused: \(reason)")
            case .accepted(let status):
                terminal.say(status)
                number += 1
            case .complete(let status, let secret):
                terminal.say(status)
                return secret
            }
        }
    }
}
