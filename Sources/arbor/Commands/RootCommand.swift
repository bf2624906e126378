import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "root",
        abstract: "Create and keep the cluster's offline root key.",
        subcommands: [RootInitCommand.self, RootRekeyCommand.self, RootSplitCommand.self, RootRecoverCommand.self]
    )
}

struct RootInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a 256-bit root key, encrypted under a passphrase, and its self-signed root certificate.",
        discussion: """
            The key comes from the operating system's CSPRNG and is sealed with ChaCha20-Poly1305 under a key \
            that scrypt derives from the passphrase (N=2^18, r=8, p=1). The file is written with mode 0600 and \
            an existing file is not overwritten without --force. Keep it offline; the certificate is public.
            """
    )

    @Option(name: .output, help: ArgumentHelp("Where to write the encrypted root key.", valueName: "file"))
    var out: String = "root.key"

    @Option(
        name: .customLong("cert-out"),
        help: ArgumentHelp("Where to write the root certificate (default: the key path with .cert).", valueName: "file"))
    var cert: String?

    @Flag(name: .force, help: "Replace --output and --cert-out if they exist (the old root is then lost).")
    var force = false

    @Option(name: .long, help: "Validity of the root certificate, in days.")
    var validityDays: Int = 3650

    @Option(name: .long, help: .hidden)
    var unsafeScryptLogN: UInt8?

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let certPath = cert ?? rootCertificatePath(for: out)
        for path in [out, certPath] where !force && FileManagerProbe.exists(path) {
            throw ArborError(.fileExists, "'\(path)' already exists; arbor will not overwrite it: move it away or choose another path")
        }
        var parameters = EncryptedRootKeyFile.Parameters.default
        if let unsafeScryptLogN { parameters = .unsafe(logN: unsafeScryptLogN) }
        let secret = try passphrase.source.read(prompt: "Passphrase for the new root key: ", confirm: true)
        let root = RootKey.generate()
        let rootKeys = try root.node.keySet()
        let certificate = try KeyCertificate.root(rootKeys, validity: try validity(days: validityDays))
        try writeRoot(
            root, certificate: certificate, passphrase: secret, parameters: parameters, to: out, certificate: certPath, overwrite: force)
        let result = RootInitSummary(certificate: certificate, keyFile: out, certificateFile: certPath)
        try output.emit(
            result,
            human: """
                wrote root key \(out) (mode 0600) and root certificate \(certPath)
                root key id \(result.rootKeyID)
                \(result.safetyNumber.text)
                """)
    }
}

/// Writes a root key sealed under its passphrase (0600) and its certificate (public).
func writeRoot(
    _ root: RootKey, certificate: KeyCertificate, passphrase: SecretBytes, parameters: EncryptedRootKeyFile.Parameters,
    to keyPath: String, certificate certificatePath: String, overwrite: Bool
) throws {
    try SecureFile.write(
        try EncryptedRootKeyFile.seal(root, passphrase: passphrase, parameters: parameters), to: keyPath, mode: .secret,
        overwrite: overwrite)
    try SecureFile.write(try CertificateChain([certificate]).armored, to: certificatePath, mode: .public, overwrite: overwrite)
}

extension PublicKeySet {
    var safetyNumber: SafetyNumber { SafetyNumber(rootKeys: self) }
}
