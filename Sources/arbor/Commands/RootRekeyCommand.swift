import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct RootRekeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Replace the root: a new root key and certificate, and a transition both roots sign.",
        discussion: """
            Opens the current root key (its passphrase: --passphrase-file or the terminal), makes a new 256-bit root \
            key sealed under a new passphrase (--new-passphrase-file or the terminal), its self-signed certificate, \
            and the root transition (docs/keys.md §20): the hand-over signed by both roots. Give the transition to \
            every cluster that trusts this one ('arbor trust follow'); they confirm the new safety number shown here. \
            The new tree shares nothing with the old one: every node must be issued again under the new root.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The current encrypted root key file.", valueName: "file"))
    var root: String = "root.key"

    @Option(name: .anchor, help: ArgumentHelp("The current root certificate (default: the root key path with .cert).", valueName: "file"))
    var anchor: String?

    @Option(name: .output, help: ArgumentHelp("Where to write the new encrypted root key.", valueName: "file"))
    var out: String

    @Option(
        name: .customLong("cert-out"),
        help: ArgumentHelp("Where to write the new root certificate (default: the new key path with .cert).", valueName: "file"))
    var cert: String?

    @Option(
        name: .customLong("transition-out"),
        help: ArgumentHelp("Where to write the root transition (default: the new key path with .transition).", valueName: "file"))
    var transitionOut: String?

    @Flag(name: .force, help: "Replace --output, --cert-out and --transition-out if they exist.")
    var force = false

    @Option(name: .long, help: "Validity of the new root certificate, in days.")
    var validityDays: Int = 3650

    @Option(
        name: .long,
        help: ArgumentHelp("Read the new root key's passphrase from the first line of this file ('-': standard input).", valueName: "file"))
    var newPassphraseFile: String?

    @Option(name: .long, help: .hidden)
    var unsafeScryptLogN: UInt8?

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let certPath = cert ?? rootCertificatePath(for: out)
        let transitionPath = transitionOut ?? (out.hasSuffix(".key") ? String(out.dropLast(4)) : out) + ".transition"
        for path in [out, certPath, transitionPath] where !force && FileManagerProbe.exists(path) {
            throw ArborError(.fileExists, "'\(path)' already exists; arbor will not overwrite it: move it away or choose another path")
        }
        guard out != root else {
            throw ArborError(.invalidArgument, "--output must not be the current root key \(root): keep both until the rekey is done")
        }
        let oldRoot = try openRoot(root, passphrase: passphrase.source)
        let certificatePath = anchor ?? rootCertificatePath(for: root)
        let oldCertificate = try readingFile(certificatePath) {
            try CertificateChain(armored: try SecureFile.read(certificatePath)).loneRootCertificate("the root certificate file")
        }
        let source = newPassphraseFile.map(PassphraseSource.file) ?? .terminalNaming(option: "--new-passphrase-file")
        let newPassphrase = try readPassphrase(source, prompt: "Passphrase for the new root key: ", confirm: true)
        let rekey = try RootRekey(from: oldRoot, certificate: oldCertificate, validity: try validity(days: validityDays), at: now())
        var parameters = EncryptedRootKeyFile.Parameters.default
        if let unsafeScryptLogN { parameters = .unsafe(logN: unsafeScryptLogN) }
        try writeRoot(
            rekey.root, certificate: rekey.certificate, passphrase: newPassphrase, parameters: parameters, to: out, certificate: certPath,
            overwrite: force)
        try SecureFile.write(rekey.transition.armored, to: transitionPath, mode: .public, overwrite: force)
        let result = RootRekeySummary(rekey, keyFile: out, certificateFile: certPath, transitionFile: transitionPath)
        try output.emit(
            result,
            human: """
                wrote the new root key \(out) (mode 0600), its certificate \(certPath) and the transition \(transitionPath)
                root \(result.oldRootKeyID.prefix(16)) hands over to root \(result.rootKeyID.prefix(16))
                trusted clusters follow it with 'arbor trust follow \(transitionPath)' after comparing the new safety number:
                \(result.safetyNumber.text)
                """)
    }
}
