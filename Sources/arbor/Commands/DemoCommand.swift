import ArborCore
import ArborKeyStore
import ArgumentParser
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Walk through a key tree's life in a temporary directory.",
        discussion: """
            Creates a root, derives two node keys, certifies them, verifies both chains, revokes one and shows \
            its verification failing. Nothing outside the temporary directory is touched.
            """
    )

    @Flag(name: .long, help: "Keep the temporary directory and print its path.")
    var keep = false

    @OptionGroup var output: OutputOptions

    struct Step: Encodable {
        let step: String
        let ok: Bool
        let detail: String
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
        var steps: [Step] = []
        func record(_ step: String, ok: Bool = true, _ detail: String) {
            steps.append(Step(step: step, ok: ok, detail: detail))
            if !output.json { print("\(ok ? "✓" : "✗") \(step): \(detail)") }
        }

        // 1. Root: random, sealed under a one-off passphrase that is never shown.
        let passphrase = SecretBytes(copying: Array(UUID().uuidString.utf8))
        let root = RootKey.generate()
        let rootKeys = try root.node.keySet()
        let rootCertificate = try KeyCertificate.root(rootKeys, validity: try validity(days: 3650))
        try SecureFile.write(try EncryptedRootKeyFile.seal(root, passphrase: passphrase), to: "\(directory)/root.key", mode: .secret)
        try SecureFile.write(try CertificateChain([rootCertificate]).armored, to: "\(directory)/root.cert", mode: .public)
        let reopened = try EncryptedRootKeyFile.open(try SecureFile.read("\(directory)/root.key"), passphrase: passphrase)
        record(
            "root init",
            "root \(rootCertificate.keyID.shortHex) sealed with scrypt + ChaCha20-Poly1305 in root.key (0600), reopened with its passphrase"
        )

        // 2. Two nodes derived and certified by the root.
        let issuer = try Issuer(root: reopened, rootCertificate: rootCertificate)
        var chains: [TreePath: CertificateChain] = [:]
        for text in ["eu/node-7", "us/node-1"] {
            let path = try TreePath(parsing: text)
            let issued = try issuer.certify(path, usage: .all, validity: try validity(days: 365))
            let name = text.replacingOccurrences(of: "/", with: "_")
            try writeNodeKey(issued.secret, to: "\(directory)/\(name).key")
            try SecureFile.write(issued.chain.armored, to: "\(directory)/\(name).chain", mode: .public)
            chains[path] = issued.chain
            record(
                "derive + certify \(text)",
                "key \(issued.chain.leaf.keyID.shortHex), chain of \(counted(issued.chain.certificates.count, "certificate"))")
        }

        // 3. Both chains verify against the root.
        let anchor = try TrustAnchor(name: "demo", rootCertificate: rootCertificate)
        let paths = chains.keys.sorted { $0.description < $1.description }
        for path in paths {
            let verified = try ChainVerifier(anchors: [anchor]).verify(chains[path]!, at: now())
            record("verify \(path)", "valid up to root \(verified.chain.root.keyID.shortHex)")
        }

        // 4. The root revokes eu/node-7; its chain now fails, us/node-1 still verifies.
        let victim = try TreePath(parsing: "eu/node-7")
        let revocation = try issuer.revoke(chains[victim]!.leaf.keyID, at: victim, reason: .keyCompromise, time: now())
        let list = RevocationList([revocation])
        try SecureFile.write(list.armored, to: "\(directory)/revocations.crl", mode: .public)
        record("revoke eu/node-7", "signed by the root, reason key-compromise")
        let verifier = ChainVerifier(anchors: [anchor], revocations: list)
        for path in paths {
            do {
                _ = try verifier.verify(chains[path]!, at: now())
                record("verify \(path) after revocation", ok: path != victim, "valid")
            } catch let error as ArborError {
                record(
                    "verify \(path) after revocation", ok: path == victim && error.code == .revoked, "refused as expected: \(error.message)"
                )
            }
        }
        if keep { record("files", "kept in \(directory)") }
        if output.json { try output.emit(steps, human: "") }
        guard steps.allSatisfy(\.ok) else { throw ArborError(.invalidSignature, "the demo did not behave as expected") }
    }
}
