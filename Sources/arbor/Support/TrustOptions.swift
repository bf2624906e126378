import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

/// What a verifier trusts and expects: the `--anchor` root certificates (only those, when given)
/// or else the clusters in the trust store; the revocation lists given with `--revocations` and
/// those the trust store's bundles carry; and, with `--cluster` and `--path-prefix`, which cluster
/// and which part of its tree a chain must come from.
struct TrustOptions: ParsableArguments {
    @Option(
        name: .anchor,
        help: ArgumentHelp("Trust only this root certificate, not the trust store's clusters (repeatable).", valueName: "file"))
    var anchor: [String] = []

    @Option(name: .revocations, help: ArgumentHelp("A revocation list to honour (repeatable).", valueName: "file"))
    var revocations: [String] = []

    @OptionGroup var store: TrustStoreOption

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Accept only chains of this cluster: its name in the trust store, or its root key id (hex, 8 digits or more).",
            valueName: "name"))
    var cluster: String?

    @Option(name: .long, help: ArgumentHelp("Accept only chains for this path or a path below it.", valueName: "path"))
    var pathPrefix: String?

    /// The verifier these options select, over the trust store (ArborOperations' `TrustSelection`).
    func verifier() throws -> ChainVerifier {
        let anchors = try anchor.map {
            try TrustAnchor(name: "anchor \(SecureFile.fileName(of: $0))", rootCertificate: try readChain($0).root)
        }
        let selection = TrustSelection(
            anchors: anchors, revocations: try readRevocations(revocations), cluster: cluster, pathPrefix: try pathPrefix.map(parsePath))
        return try selection.verifier(store: store.directory)
    }
}

/// `--trust-store DIR`, for the commands that read or change the trust store.
struct TrustStoreOption: ParsableArguments {
    @Option(
        name: .trustStore,
        help: ArgumentHelp("The trust store directory (default: $ARBOR_TRUST_STORE or ~/.config/arbor/trust).", valueName: "dir"))
    var path: String?

    var directory: TrustStoreDirectory { TrustStoreDirectory(path: path ?? TrustStoreDirectory.defaultPath()) }
}
