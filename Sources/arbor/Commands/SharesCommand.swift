import ArborCore
import ArborCustody
import ArborOperations
import ArgumentParser
import Foundation

struct SharesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shares",
        abstract: "Split any secret into t-of-n shares (Arbor or SLIP-39 mnemonics) and combine them again.",
        discussion: """
            Shares are secret: these commands write them to standard output only because that is their purpose. \
            For the root key use 'arbor root split' and 'arbor root recover', which never print the root. \
            Formats: docs/custody-formats.md. Ceremony: docs/custody.md.
            """,
        subcommands: [SharesSplitCommand.self, SharesCombineCommand.self, SharesCheckCommand.self]
    )
}

/// The split parameters shared by `shares split` and `root split`.
struct SplitOptions: ParsableArguments {
    @Option(name: .long, help: "How many shares recover the secret (t).")
    var threshold: Int?

    @Option(name: .long, help: "How many shares to make (n, at most 255; 16 with --slip39).")
    var shares: Int?

    @Flag(name: .long, help: "Make SLIP-39 mnemonics (for a secret of 16 to 32+ bytes, even length) instead of Arbor shares.")
    var slip39 = false

    @Option(name: .long, help: ArgumentHelp("SLIP-39 groups, e.g. 2of3,3of5 (instead of --threshold/--shares).", valueName: "list"))
    var groups: String?

    @Option(name: .long, help: "SLIP-39: how many groups recover the secret (needed with more than one group).")
    var groupThreshold: Int?

    @Option(name: .long, help: "SLIP-39: PBKDF2 iteration exponent e, 0…8 (10000 × 2^e iterations).")
    var iterationExponent: Int = 1

    @Flag(inversion: .prefixedNo, help: "SLIP-39: mark the shares extendable (more sets of the same secret can be made later).")
    var extendable = true

    /// What to make, checked before any secret is read (ArborOperations' `SplitPlan`).
    func plan() throws -> SplitPlan {
        try SplitPlan(threshold: threshold, shares: shares, slip39: slip39, groups: groups, groupThreshold: groupThreshold)
    }

    /// Splits `secret`: one list of share texts per group (one group for Arbor shares).
    func split(_ secret: [UInt8], plan: SplitPlan, slip39PassphraseFile: String?) throws -> [[String]] {
        try plan.split(
            secret, slip39Passphrase: try slip39Passphrase(plan: plan, file: slip39PassphraseFile), iterationExponent: iterationExponent,
            extendable: extendable)
    }

    /// The SLIP-39 passphrase for `plan`: the file is read only for SLIP-39; for Arbor shares its
    /// presence alone is passed on ("") to be refused.
    func slip39Passphrase(plan: SplitPlan, file: String?) throws -> String? {
        plan.isSLIP39 ? try readSLIP39Passphrase(file) : file.map { _ in "" }
    }
}

struct SharesSplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split a hex secret read on standard input into shares, written one per line.",
        discussion: """
            Arbor shares (default): 'arbor-share-v1-…', any t of n recover the secret; a corrupt share or one from \
            another split is reported, never combined into a wrong secret. \
            SLIP-39 (--slip39): mnemonics interoperable with the SLIP-39 reference and hardware wallets; groups with \
            --groups 2of3,3of5 --group-threshold 2. Lines starting with '#' name the groups; combine skips them.
            Example: echo 00112233445566778899aabbccddeeff | arbor shares split --threshold 2 --shares 3
            """
    )

    @OptionGroup var options: SplitOptions

    @Option(
        name: .customLong("slip39-passphrase-file"),
        help: ArgumentHelp(
            "SLIP-39: encrypt the secret under the passphrase on this file's first line (printable ASCII).", valueName: "file"))
    var passphraseFile: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let plan = try options.plan()
        var input = try readStandardInput()
        defer { input.wipe() }
        var text = Array(String(decoding: input, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        defer { text.wipe() }
        guard !text.isEmpty else { throw ArborError(.invalidArgument, "write the secret as hex on standard input") }
        guard text.allSatisfy(PublicBytes.isHexDigit), text.count % 2 == 0 else {
            throw ArborError(.malformedInput, "the secret on standard input must be an even number of hex digits and nothing else")
        }
        var secret = try Hex.decode(String(decoding: text, as: UTF8.self))
        defer { secret.wipe() }
        let groups = try options.split(secret, plan: plan, slip39PassphraseFile: passphraseFile)
        let result = ShareSplitSummary(groups: groups, plan: plan)
        switch plan {
        case .arbor:
            try output.emit(result, human: groups[0].joined(separator: "\n"))
        case .slip39(let groupThreshold, let definitions):
            var lines = [String]()
            for (index, (definition, mnemonics)) in zip(definitions, groups).enumerated() {
                if definitions.count > 1 {
                    lines.append(
                        "# group \(index + 1) of \(definitions.count) (\(counted(groupThreshold, "group")) needed): "
                            + "\(definition.memberThreshold) of \(counted(definition.memberCount, "mnemonic"))")
                }
                lines += mnemonics
            }
            try output.emit(result, human: lines.joined(separator: "\n"))
        }
    }
}

struct SharesCombineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "combine",
        abstract: "Combine shares read one per line on standard input and write the secret in hex.",
        discussion: """
            Blank lines and lines starting with '#' are skipped. A share that does not parse, belongs to another split, \
            or does not fit the others is named by its line number; the shares are never echoed.
            """
    )

    @Flag(name: .long, help: "The shares are SLIP-39 mnemonics.")
    var slip39 = false

    @Option(
        name: .customLong("slip39-passphrase-file"),
        help: ArgumentHelp("SLIP-39: the passphrase the secret was encrypted under, on this file's first line.", valueName: "file"))
    var passphraseFile: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard slip39 || passphraseFile == nil else {
            throw ArborError(.invalidArgument, "--slip39-passphrase-file is the SLIP-39 passphrase: add --slip39")
        }
        var input = try readStandardInput()
        defer { input.wipe() }
        let lines = ShareLine.parse(input)
        guard !lines.isEmpty else { throw ArborError(.invalidArgument, "write the shares on standard input, one per line") }
        let parsed = try ParsedShares(lines, slip39: slip39)
        var secret = try parsed.combine(lines: lines, slip39Passphrase: try readSLIP39Passphrase(passphraseFile))
        defer { secret.wipe() }
        let result = CombinedSecretSummary(secret)
        try output.emit(result, human: result.secret)
    }
}

struct SharesCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check shares one by one (their checksums) and show their public fields, without combining them.",
        discussion: """
            For the ceremony: each holder types back the share they wrote down, and this confirms that it was copied \
            correctly and which set it belongs to. It shows set identifier, threshold and index, never share values.
            """
    )

    @Flag(name: .long, help: "The shares are SLIP-39 mnemonics.")
    var slip39 = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        var input = try readStandardInput()
        defer { input.wipe() }
        let lines = ShareLine.parse(input)
        guard !lines.isEmpty else { throw ArborError(.invalidArgument, "write the shares on standard input, one per line") }
        let shares = ShareCheckSummary.of(try ParsedShares(lines, slip39: slip39), lines: lines)
        try output.emit(shares, human: shares.map(\.text).joined(separator: "\n"))
    }
}

extension ShareCheckSummary {
    var text: String {
        if let group, let groupThreshold, let groupCount {
            return "line \(line): valid SLIP-39 mnemonic of set \(set): group \(group) of \(groupCount) (\(groupThreshold) needed), "
                + "member \(index), \(counted(threshold, "member")) needed"
        }
        return "line \(line): valid share of set \(set): x = \(index), \(counted(threshold, "share")) needed"
    }
}
