import ArborCore
import ArborCustody
import ArborKeyStore
import ArgumentParser
import Foundation

struct RootSplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split the root key into share files, one per holder (mode 0600); the root is never printed.",
        discussion: """
            Opens the encrypted root key, splits its 32 bytes into t-of-n Arbor shares (or SLIP-39 mnemonics with
            --slip39, optionally in groups), checks right away that the shares recombine to the root, and writes
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

    @Option(name: [.short, .long], help: ArgumentHelp("The directory for the share files (created 0700 if missing).", valueName: "dir"))
    var out: String

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        let format: String
        let set: String
        let rootKeyID: String
        let files: [String]
    }

    func run() async throws {
        let plan = try split.plan()
        guard !plan.oneShareRecovers || unsafeThresholdOne else {
            throw ArborError(
                .invalidArgument,
                "with threshold 1 one share alone is the root, and recovery cannot tell it from a forged one: "
                    + "choose a threshold of 2 or more, or pass --unsafe-threshold-one")
        }
        try prepareDirectory(out)
        let rootKey = try openRoot(root, passphrase: passphrase.source)
        let rootKeyID = try rootKey.node.keySet().keyID.hex
        let secretBytes = rootKey.secretBytes
        var secret = secretBytes.withUnsafeBytes { Array($0) }
        defer { secret.wipe() }
        let groups = try split.split(secret, plan: plan, slip39PassphraseFile: slip39PassphraseFile)
        try verifyRecombination(groups, plan: plan, expected: secretBytes)

        var files = [String]()
        let set: String
        switch plan {
        case .arbor(let threshold, let count):
            let shares = try groups[0].map { text in try custody { try ArborShare(text: text) } }
            set = String(shares[0].setIdentifier, radix: 16).leftPadded(to: 8)
            for (share, text) in zip(shares, groups[0]) {
                let name = "root-share-\(set)-\(share.x).txt"
                let contents = """
                    # Arbor root share \(share.x) of \(count); any \(threshold) of set \(set) recover the root.
                    # Root key id \(rootKeyID). Secret: keep it offline. Recover with 'arbor root recover'.
                    \(text)

                    """
                try SecureFile.write(contents, to: (out as NSString).appendingPathComponent(name), mode: .secret)
                files.append(name)
            }
        case .slip39(let groupThreshold, let definitions):
            let first = try custody { try SLIP39Share(mnemonic: groups[0][0]) }
            set = String(first.identifier, radix: 16).leftPadded(to: 4)
            for (groupIndex, (definition, mnemonics)) in zip(definitions, groups).enumerated() {
                for (memberIndex, mnemonic) in mnemonics.enumerated() {
                    let name = "root-slip39-\(set)-group\(groupIndex + 1)-member\(memberIndex + 1).txt"
                    let contents = """
                        # Arbor root, SLIP-39 mnemonic: group \(groupIndex + 1) of \(definitions.count) (\(groupThreshold) groups needed), \
                        member \(memberIndex + 1) of \(definition.memberCount) (\(definition.memberThreshold) needed).
                        # Root key id \(rootKeyID). Secret: keep it offline. Recover with 'arbor root recover --slip39'.
                        \(mnemonic)

                        """
                    try SecureFile.write(contents, to: (out as NSString).appendingPathComponent(name), mode: .secret)
                    files.append(name)
                }
            }
        }
        let format = split.slip39 ? "slip39" : "arbor-share-v1"
        try output.emit(
            Result(format: format, set: set, rootKeyID: rootKeyID, files: files),
            human: """
                split root key \(rootKeyID) into \(files.count) \(format) shares of set \(set), checked to recombine
                wrote into \(out) (mode 0600), one file per holder:
                \(files.map { "    " + $0 }.joined(separator: "\n"))
                """)
    }

    /// Recombines a minimal set from the front and one from the back and compares with the root,
    /// so a share set that would not recover the root is never written.
    private func verifyRecombination(_ groups: [[String]], plan: SplitOptions.Plan, expected: SecretBytes) throws {
        var subsets = [[String]]()
        switch plan {
        case .arbor(let threshold, _):
            subsets = [Array(groups[0].prefix(threshold)), Array(groups[0].suffix(threshold)), groups[0]]
        case .slip39(let groupThreshold, let definitions):
            let indices = Array(definitions.indices)
            for chosen in [indices.prefix(groupThreshold), indices.suffix(groupThreshold)] {
                subsets.append(chosen.flatMap { Array(groups[$0].prefix(definitions[$0].memberThreshold)) })
                subsets.append(chosen.flatMap { Array(groups[$0].suffix(definitions[$0].memberThreshold)) })
            }
        }
        let passphrase = try readSLIP39Passphrase(slip39PassphraseFile)
        for subset in subsets {
            var recovered = try custody {
                split.slip39 ? try SLIP39.combineMnemonics(subset, passphrase: passphrase) : try ArborShamir.combine(encodedShares: subset)
            }
            guard SecretBytes(consuming: &recovered) == expected else {
                throw ArborError(.invalidArgument, "the new shares did not recombine to the root; nothing was written: report this bug")
            }
        }
    }

    private func prepareDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ArborError(.fileExists, "'\(path)' exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ArborError(.ioFailure, "cannot create the directory '\(path)'; check the parent's permissions")
        }
    }
}

struct RootRecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Rebuild the root key from shares and write it re-encrypted under a new passphrase; it is never printed.",
        discussion: """
            Asks for the shares one at a time on the terminal (not echoed) and says how many are still needed; a share
            that is mistyped or from another set is refused and can be typed again. Then asks for a new passphrase
            twice and writes the root key file (0600). The recovered root must match the key id of the root certificate
            given with --root-cert, or nothing is written (exit 3). Shares of threshold 1 are refused: one such share is
            the root itself, and anyone can make one (--unsafe-threshold-one accepts them; --unsafe-no-root-cert skips
            the certificate, with a warning). For automation: --shares-file FILE and --passphrase-file FILE.
            --check-only checks the shares against --root-cert and writes nothing (for share ceremonies and drills).
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

    @Option(name: .long, help: ArgumentHelp("The root certificate the recovered root must match (required).", valueName: "file"))
    var rootCert: String?

    @Flag(
        name: .customLong("unsafe-no-root-cert"),
        help: "Recover without --root-cert: nothing then shows that the shares are not forged to give another root.")
    var unsafeNoRootCert = false

    @Flag(
        name: .customLong("unsafe-threshold-one"),
        help: "Accept shares of threshold 1, one of which alone is a root (and is trivially forged).")
    var unsafeThresholdOne = false

    @Flag(name: .long, help: "Only check the shares against --root-cert; write nothing.")
    var checkOnly = false

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write the recovered, re-encrypted root key.", valueName: "file"))
    var out: String?

    @Option(name: .long, help: .hidden)
    var unsafeScryptLogN: UInt8?

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        let keyFile: String?
        let rootKeyID: String
        let matchesRootCertificate: Bool?
    }

    func checkArguments() throws {
        guard (rootCert != nil) != unsafeNoRootCert else {
            throw ArborError(
                .invalidArgument,
                rootCert == nil
                    ? "pass --root-cert root.cert: without it a forged share could recover a root of someone else's choosing "
                        + "(--unsafe-no-root-cert skips this check)"
                    : "--root-cert and --unsafe-no-root-cert contradict each other; drop --unsafe-no-root-cert")
        }
        if checkOnly {
            guard rootCert != nil, out == nil else { throw ArborError(.invalidArgument, "--check-only needs --root-cert and takes no -o") }
        } else {
            guard out != nil else { throw ArborError(.invalidArgument, "say where to write the recovered root: -o root.key") }
        }
        guard slip39 || slip39PassphraseFile == nil else { throw ArborError(.invalidArgument, "--slip39-passphrase-file needs --slip39") }
    }

    func run() async throws {
        try checkArguments()
        if let out, FileManagerProbe.exists(out) {
            throw ArborError(.fileExists, "'\(out)' already exists; arbor will not overwrite it: move it away or choose another path")
        }
        let expectedKeyID = try rootCert.map { path -> String in
            let chain = try readChain(path)
            guard chain.certificates.count == 1, chain.root.kind == .root else {
                throw ArborError(.invalidArgument, "'\(path)' must hold the root certificate alone")
            }
            return chain.root.keyID.hex
        }
        let slip39Passphrase = try readSLIP39Passphrase(slip39PassphraseFile)
        var secret: [UInt8]
        if let sharesFile {
            // Shares are secrets: refused if others may read the file, as key files are.
            var input = try SecureFile.readSecret(sharesFile).withUnsafeBytes { Array($0) }
            defer { input.wipe() }
            let lines = shareLines(input)
            guard !lines.isEmpty else { throw ArborError(.invalidArgument, "'\(sharesFile)' holds no shares") }
            let shares = try ParsedShares(lines, slip39: slip39)
            if !unsafeThresholdOne, let line = shares.firstAloneRecovering(lines: lines) {
                throw ThresholdOne.refusal(line: line)
            }
            secret = try shares.combine(lines: lines, slip39Passphrase: slip39Passphrase)
        } else {
            secret = try ShareConversation(slip39: slip39, acceptsThresholdOne: unsafeThresholdOne).collect(
                slip39Passphrase: slip39Passphrase)
        }
        let recovered = try RootKey(bytes: SecretBytes(consuming: &secret))
        let keyID = try recovered.node.keySet().keyID.hex
        if let expectedKeyID {
            guard keyID == expectedKeyID else {
                throw ArborError(
                    .fingerprintMismatch,
                    "the recovered root has key id \(keyID), but \(rootCert!) is for \(expectedKeyID): these shares belong to another root; nothing was written"
                )
            }
        }
        if unsafeNoRootCert {
            FileHandle.standardError.write(
                Data(
                    ("arbor: warning: --unsafe-no-root-cert: the recovered root (key id \(keyID)) is not checked against the root "
                        + "certificate; forged shares could make it any root\n").utf8))
        }
        if let out {
            var parameters = EncryptedRootKeyFile.Parameters.default
            if let unsafeScryptLogN { parameters = .unsafe(logN: unsafeScryptLogN) }
            let newPassphrase = try passphrase.source.read(prompt: "New passphrase for the recovered root key: ", confirm: true)
            try SecureFile.write(
                try EncryptedRootKeyFile.seal(recovered, passphrase: newPassphrase, parameters: parameters), to: out, mode: .secret)
        }
        let check =
            expectedKeyID == nil
            ? "not checked against a root certificate (pass --root-cert root.cert)" : "matches the root certificate \(rootCert!)"
        try output.emit(
            Result(keyFile: out, rootKeyID: keyID, matchesRootCertificate: expectedKeyID == nil ? nil : true),
            human: (out.map { "wrote recovered root key \($0) (mode 0600), encrypted under the new passphrase\n" } ?? "")
                + "root key id \(keyID): \(check)")
    }
}

/// Why a share that alone recovers a root is refused by default.
enum ThresholdOne {
    static func refusal(line: Int?) -> ArborError {
        ArborError(
            .invalidArgument,
            (line.map { "line \($0): " } ?? "")
                + "this share has threshold 1, so it alone would be the root, and anyone can make such a share: "
                + "nothing was written (if the root really was split 1-of-n, pass --unsafe-threshold-one)")
    }
}

extension ParsedShares {
    /// The input line of the first share that recovers a secret on its own (threshold 1; for
    /// SLIP-39, group threshold 1 and member threshold 1), if any.
    func firstAloneRecovering(lines: [ShareLine]) -> Int? {
        let index: Int? =
            switch self {
            case .arbor(let shares): shares.firstIndex { $0.threshold == 1 }
            case .slip39(let shares): shares.firstIndex { $0.recoversAlone }
            }
        return index.map { lines[$0].line }
    }
}

extension SLIP39Share {
    var recoversAlone: Bool { groupThreshold == 1 && memberThreshold == 1 }
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
        var arbor = [ArborShare]()
        var mnemonics = [SLIP39Share]()
        var number = 1
        while true {
            guard let line = terminal.readSecretLine(prompt: slip39 ? "Mnemonic \(number): " : "Share \(number): ") else {
                throw ArborError(.invalidArgument, "the input ended before enough shares were given; nothing was written")
            }
            let text = line.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            do {
                if slip39 {
                    let share = try SLIP39Share(mnemonic: text)
                    if share.recoversAlone, !acceptsThresholdOne { throw ThresholdOne.refusal(line: nil) }
                    if let problem = Self.problem(adding: share, to: mnemonics) {
                        terminal.say("refused: \(problem)")
                        continue
                    }
                    mnemonics.append(share)
                    let (done, status) = Self.progress(mnemonics)
                    terminal.say("accepted. \(status)")
                    if done {
                        return try custody { try SLIP39.combine(Self.minimalSet(mnemonics), passphrase: slip39Passphrase) }
                    }
                } else {
                    let share = try ArborShare(text: text)
                    if share.threshold == 1, !acceptsThresholdOne { throw ThresholdOne.refusal(line: nil) }
                    if let first = arbor.first, first.setIdentifier != share.setIdentifier || first.threshold != share.threshold {
                        terminal.say(
                            "refused: this share is from set \(Self.hex(share.setIdentifier)), not \(Self.hex(first.setIdentifier)) "
                                + "like the first one: it belongs to another split (old shares are not accepted); type a share of the current set"
                        )
                        continue
                    }
                    if arbor.contains(where: { $0.x == share.x }) {
                        terminal.say("refused: share x = \(share.x) was already given; type another holder's share")
                        continue
                    }
                    arbor.append(share)
                    let needed = share.threshold - arbor.count
                    terminal.say(
                        "accepted share x = \(share.x) of set \(Self.hex(share.setIdentifier)); "
                            + (needed > 0 ? "\(needed) more needed" : "that is enough"))
                    if needed <= 0 { return try custody { try ArborShamir.combine(arbor) } }
                }
                number += 1
            } catch let error as CustodyError {
                // The message names the fault (checksum, word, length) and never the share itself.
                terminal.say("refused: \(error.message); type it again")
            }
        }
    }

    static func hex(_ identifier: UInt32) -> String { String(identifier, radix: 16).leftPadded(to: 8) }

    /// Why a mnemonic cannot join the ones already given, if it cannot.
    static func problem(adding share: SLIP39Share, to shares: [SLIP39Share]) -> String? {
        guard let first = shares.first else { return nil }
        if share.identifier != first.identifier || share.groupThreshold != first.groupThreshold || share.groupCount != first.groupCount
            || share.iterationExponent != first.iterationExponent || share.extendable != first.extendable
        {
            return
                "this mnemonic is from another backup (set \(String(share.identifier, radix: 16)), not \(String(first.identifier, radix: 16)))"
        }
        let group = shares.filter { $0.groupIndex == share.groupIndex }
        if group.contains(where: { $0.memberIndex == share.memberIndex }) {
            return "member \(share.memberIndex + 1) of group \(share.groupIndex + 1) was already given"
        }
        if let member = group.first, member.memberThreshold != share.memberThreshold {
            return "this mnemonic disagrees with group \(share.groupIndex + 1)'s threshold"
        }
        if group.count >= share.memberThreshold {
            return "group \(share.groupIndex + 1) is already complete; type a mnemonic of another group"
        }
        return nil
    }

    static func completeGroups(_ shares: [SLIP39Share]) -> [Int] {
        Set(shares.map(\.groupIndex)).sorted().filter { index in
            let group = shares.filter { $0.groupIndex == index }
            return group.count >= group[0].memberThreshold
        }
    }

    static func progress(_ shares: [SLIP39Share]) -> (done: Bool, status: String) {
        let needed = shares[0].groupThreshold
        let complete = completeGroups(shares)
        if complete.count >= needed { return (true, "that is enough") }
        var parts = ["\(complete.count) of \(needed) groups complete"]
        for index in Set(shares.map(\.groupIndex)).sorted() where !complete.contains(index) {
            let group = shares.filter { $0.groupIndex == index }
            parts.append("group \(index + 1) needs \(group[0].memberThreshold - group.count) more")
        }
        return (false, parts.joined(separator: "; "))
    }

    /// Exactly the complete groups SLIP-39 needs, as the spec's combine requires.
    static func minimalSet(_ shares: [SLIP39Share]) -> [SLIP39Share] {
        let chosen = completeGroups(shares).prefix(shares[0].groupThreshold)
        return shares.filter { chosen.contains($0.groupIndex) }
    }
}
