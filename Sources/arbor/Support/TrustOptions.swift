import ArborCore
import ArborKeyStore
import ArgumentParser

/// What a verifier trusts: the `--anchor` root certificates, the clusters in the trust store, and
/// the revocation lists given with `--revocations` or carried by the trust store's bundles.
struct TrustOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A trusted root certificate (repeatable).", valueName: "file"))
    var anchor: [String] = []

    @Option(name: .long, help: ArgumentHelp("A revocation list to honour (repeatable).", valueName: "file"))
    var revocations: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("The trust store directory (default: $ARBOR_TRUST_STORE or ~/.config/arbor/trust).", valueName: "dir"))
    var trustStore: String?

    func verifier() throws -> ChainVerifier {
        let bundles = try TrustStoreDirectory(path: trustStore ?? TrustStoreDirectory.defaultPath()).bundles()
        var anchors = bundles.map(\.anchor)
        for path in anchor { anchors.append(try TrustAnchor(name: "local", rootCertificate: try readChain(path).root)) }
        let lists = bundles.reduce(try readRevocations(revocations)) { $0.merging($1.revocations) }
        return ChainVerifier(anchors: anchors, revocations: lists)
    }
}
