import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct FingerprintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Show the safety number of a cluster root, from a root certificate, a chain or a trust bundle.",
        discussion: "Both sides of an in-person check run this and compare the digits or the words."
    )

    @Argument(help: "A root certificate, certificate chain or trust bundle file.")
    var file: String

    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        let rootKeyID: String
        let safetyNumber: SafetyNumberSummary
    }

    func run() async throws {
        let text = try SecureFile.read(file)
        let root: KeyCertificate =
            switch Armor.label(of: text) {
            case TrustBundle.armorLabel: try TrustBundle(armored: text).chain.root
            case CertificateChain.armorLabel: try CertificateChain(armored: text).root
            default: throw ArborError(.malformedInput, "'\(file)' is not a root certificate, chain or trust bundle")
            }
        guard root.kind == .root, root.isSigned(by: root.publicKeys) else {
            throw ArborError(.invalidSignature, "'\(file)' does not start with a valid self-signed root certificate")
        }
        let result = Result(rootKeyID: root.keyID.hex, safetyNumber: SafetyNumberSummary(root.publicKeys.safetyNumber))
        try output.emit(result, human: "root key id \(result.rootKeyID)\n\(result.safetyNumber.text)")
    }
}
