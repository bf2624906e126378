import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Exchange trust with other clusters: export your root, import theirs after an in-person check.",
        subcommands: [TrustExportCommand.self, TrustImportCommand.self, TrustFollowCommand.self, TrustListCommand.self]
    )
}

struct TrustExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write this cluster's trust bundle: its name, root certificate and revocation list."
    )

    @Option(name: .anchor, help: ArgumentHelp("The root certificate.", valueName: "file"))
    var anchor: String

    @Option(name: .long, help: "The cluster's name, shown to whoever imports it.")
    var name: String

    @Option(name: .revocations, help: ArgumentHelp("A revocation list to include (repeatable).", valueName: "file"))
    var revocations: [String] = []

    @Option(name: .output, help: ArgumentHelp("Where to write the bundle.", valueName: "file"))
    var out: String

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let bundle = try TrustBundle(clusterName: name, chain: try readChain(anchor), revocations: try readRevocations(revocations))
        try SecureFile.write(bundle.armored, to: out, mode: .public, overwrite: force)
        let result = TrustExportSummary(bundle, bundleFile: out)
        try output.emit(
            result,
            human:
                "wrote trust bundle \(out) for cluster '\(name)'\ncompare in person with whoever imports it:\n\(result.safetyNumber.text)")
    }
}

struct TrustImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Trust another cluster's root, after confirming its safety number.",
        discussion: """
            Shows the bundle's safety number and asks you to confirm that it matches what the other cluster's \
            operator reads out or shows in person. For scripts, pass the expected number (digits or words) \
            with --safety-number; a mismatch refuses the import.
            """
    )

    @Argument(help: "The trust bundle file.")
    var bundle: String

    @Option(
        name: .long,
        help: ArgumentHelp("The expected safety number (60 digits or 12 words), checked instead of asking.", valueName: "number"))
    var safetyNumber: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The name to trust the cluster under (default: the name the bundle suggests; the safety number does not cover names).",
            valueName: "name"))
    var name: String?

    @Flag(name: .long, help: "Rename a cluster that is already trusted under another name.")
    var rename = false

    @OptionGroup var store: TrustStoreOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let bundle = try readingFile(self.bundle) { try TrustBundle(armored: try SecureFile.read(self.bundle)) }
        if let safetyNumber {
            try bundle.checkSafetyNumber(typed: safetyNumber)
        } else {
            try confirmInteractively(bundle)
        }
        let result = try TrustImport(store: store.directory).add(bundle, name: name, rename: rename)
        try output.emit(
            result,
            human:
                "\(result.newCluster ? "imported" : "refreshed") cluster '\(result.cluster)' (root \(bundle.anchor.keyID.shortHex)) in \(result.store): \(counted(result.addedRevocations, "new revocation")), \(result.revocations) in all"
        )
    }

    private func confirmInteractively(_ bundle: TrustBundle) throws {
        try confirmSafetyNumber(
            bundle.safetyNumber,
            about:
                "root \(bundle.anchor.keyID.shortHex), to be trusted as '\(name ?? bundle.clusterName)' (a name you can change with --name; the safety number covers the root keys only)",
            action: "import")
    }
}

struct TrustListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the clusters this node trusts.")

    @OptionGroup var store: TrustStoreOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let entries = try store.directory.bundles().map(TrustedClusterSummary.init)
        let text =
            entries.isEmpty
            ? "no trusted clusters in \(store.directory.path)"
            : entries.map {
                "\($0.cluster)  root \($0.rootKeyID)  \(counted($0.revocations, "revocation"))\n    \($0.safetyNumber.digits)"
            }.joined(separator: "\n")
        try output.emit(entries, human: text)
    }
}
