import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct PassphraseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the passphrase from the first line of this file instead of the terminal ('-': standard input; a pipe or <(…) works).",
            valueName: "file"))
    var passphraseFile: String?

    var source: PassphraseSource { passphraseFile.map(PassphraseSource.file) ?? .terminal }
}

/// Who signs: the root (with its passphrase) or a node key file with its chain.
struct IssuerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The encrypted root key file.", valueName: "file"))
    var root: String?

    @Option(name: .anchor, help: ArgumentHelp("The root certificate (default: the root key path with .cert).", valueName: "file"))
    var anchor: String?

    @Option(name: .nodeKey, help: ArgumentHelp("A node key file to act as the issuer instead of the root.", valueName: "file"))
    var key: String?

    @Option(name: .chain, help: ArgumentHelp("The certificate chain of --key.", valueName: "file"))
    var chain: String?

    @OptionGroup var passphrase: PassphraseOptions

    func load() throws -> Issuer {
        guard (root == nil) != (key == nil) else {
            throw ArborError(.invalidArgument, "name the issuer with either --root ROOT.key or --key NODE.key --chain NODE.chain")
        }
        guard key == nil || chain != nil else {
            throw ArborError(.invalidArgument, "--key needs --chain, the node's certificate chain")
        }
        if let root {
            let rootKey = try openRoot(root, passphrase: passphrase.source)
            let certificatePath = anchor ?? rootCertificatePath(for: root)
            let certificate = try readingFile(certificatePath) {
                try CertificateChain(armored: try SecureFile.read(certificatePath)).loneRootCertificate("the root certificate file")
            }
            return try Issuer(root: rootKey, rootCertificate: certificate)
        }
        let secret = try readNodeKey(key!, passphrase: passphrase.source)
        return try Issuer(secret: secret, chain: try readChain(chain!))
    }
}

func openRoot(_ path: String, passphrase: PassphraseSource) throws -> RootKey {
    // Encrypted, so a String is fine; still refused if others may read it, as ssh refuses such keys.
    try readingFile(path) {
        let text = try SecureFile.readSecret(path, what: "the root key").withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        return try EncryptedRootKeyFile.open(text, passphrase: try readPassphrase(passphrase, prompt: "Passphrase for \(path): "))
    }
}

/// A passphrase read while a key file is being opened: a problem with the passphrase file is named
/// after that file (`--passphrase-file pw.txt: …`), not after the key it was meant for.
func readPassphrase(_ source: PassphraseSource, prompt: String, confirm: Bool = false) throws -> SecretBytes {
    guard case .file(let path) = source else { return try source.read(prompt: prompt, confirm: confirm) }
    return try readingFile(path) { try source.read(prompt: prompt, confirm: confirm) }
}

/// `root.key` → `root.cert`; any other name gets `.cert` appended.
func rootCertificatePath(for keyPath: String) -> String {
    keyPath.hasSuffix(".key") ? String(keyPath.dropLast(4)) + ".cert" : keyPath + ".cert"
}

/// A node key file, read as a secret (never a `String`) and refused if others may read it; an
/// encrypted one asks `passphrase` (the terminal unless the command has a passphrase file).
func readNodeKey(_ path: String, passphrase: PassphraseSource) throws -> NodeSecret {
    try openNodeKey(path, passphrase: passphrase).secret
}

/// The node key and how its file is protected, so that a rewrite (self-rekey) keeps it encrypted
/// under the same passphrase. Checksum and structure are checked before any passphrase is asked.
func openNodeKey(_ path: String, passphrase: PassphraseSource) throws -> (secret: NodeSecret, protection: SecretFileProtection) {
    try readingFile(path) {
        let armored = try SecureFile.readSecret(path, what: "the node key")
        guard let parameters = try NodeKeyFile.parameters(of: armored) else { return (try NodeKeyFile.decode(armored), .none) }
        let secret = try readPassphrase(passphrase, prompt: "Passphrase for \(path): ")
        return (try NodeKeyFile.decode(armored, passphrase: secret), .passphrase(secret, parameters))
    }
}

/// Writes a node key file (0600) from wiped-on-release memory, encrypted if `protection` says so.
func writeNodeKey(_ secret: NodeSecret, to path: String, protection: SecretFileProtection = .none, overwrite: Bool = false) throws {
    try SecureFile.write(secret: NodeKeyFile.encode(secret, protection: protection), to: path, overwrite: overwrite)
}

/// The passphrase of encrypted node key and keyring files, for commands whose --passphrase-file
/// means another secret (or that have none); without it the terminal is asked.
struct KeyPassphraseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the passphrase of an encrypted node key or keyring file from the first line of this file ('-': standard input).",
            valueName: "file"))
    var keyPassphraseFile: String?

    var source: PassphraseSource { keyPassphraseFile.map(PassphraseSource.file) ?? .terminalNaming(option: "--key-passphrase-file") }
}

/// Encryption at rest for a new node key or keyring file, under a passphrase, with the root key
/// file's construction (docs/keys.md §10, §11).
struct KeyEncryptionOptions: ParsableArguments {
    @Flag(name: .long, help: "Encrypt the new file under a passphrase (asked twice on the terminal, or --new-passphrase-file).")
    var encrypt = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the new file's passphrase from the first line of this file ('-': standard input); implies --encrypt.", valueName: "file"))
    var newPassphraseFile: String?

    @Option(name: .customLong("unsafe-new-scrypt-log-n"), help: .hidden)
    var unsafeScryptLogN: UInt8?

    func protection(for what: String) throws -> SecretFileProtection {
        guard encrypt || newPassphraseFile != nil else { return .none }
        let source = newPassphraseFile.map(PassphraseSource.file) ?? .terminalNaming(option: "--new-passphrase-file")
        let passphrase = try source.read(prompt: "Passphrase for the new \(what): ", confirm: true)
        return .passphrase(passphrase, unsafeScryptLogN.map { .unsafe(logN: $0) } ?? .default)
    }
}

func readChain(_ path: String) throws -> CertificateChain {
    try readingFile(path) { try CertificateChain(armored: try SecureFile.read(path)) }
}

func readRevocations(_ paths: [String]) throws -> RevocationList {
    try paths.reduce(RevocationList()) { list, path in
        list.merging(try readingFile(path) { try RevocationList(armored: try SecureFile.read(path)) })
    }
}

func parsePath(_ text: String) throws -> TreePath { try TreePath(parsing: text) }
