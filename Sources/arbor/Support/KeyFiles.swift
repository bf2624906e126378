import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct PassphraseOptions: ParsableArguments {
    @Option(
        name: .long, help: ArgumentHelp("Read the passphrase from the first line of this file instead of the terminal.", valueName: "file"))
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
        let secret = try readNodeKey(key!)
        return try Issuer(secret: secret, chain: try readChain(chain!))
    }
}

func openRoot(_ path: String, passphrase: PassphraseSource) throws -> RootKey {
    // Encrypted, so a String is fine; still refused if others may read it, as ssh refuses such keys.
    try readingFile(path) {
        let text = try SecureFile.readSecret(path).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        return try EncryptedRootKeyFile.open(text, passphrase: try passphrase.read(prompt: "Passphrase for \(path): "))
    }
}

/// `root.key` → `root.cert`; any other name gets `.cert` appended.
func rootCertificatePath(for keyPath: String) -> String {
    keyPath.hasSuffix(".key") ? String(keyPath.dropLast(4)) + ".cert" : keyPath + ".cert"
}

/// A node key file, read as a secret (never a `String`) and refused if others may read it.
func readNodeKey(_ path: String) throws -> NodeSecret {
    try readingFile(path) { try NodeKeyFile.decode(try SecureFile.readSecret(path)) }
}

/// Writes a node key file (0600) from wiped-on-release memory.
func writeNodeKey(_ secret: NodeSecret, to path: String, overwrite: Bool = false) throws {
    try SecureFile.write(secret: NodeKeyFile.encode(secret), to: path, overwrite: overwrite)
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
