import ArborCore
import ArborKeyStore
import ArgumentParser

/// What a verifier trusts and expects: the `--anchor` root certificates (only those, when given)
/// or else the clusters in the trust store; the revocation lists given with `--revocations` and
/// those the trust store's bundles carry; and, with `--cluster` and `--path-prefix`, which cluster
/// and which part of its tree a chain must come from.
struct TrustOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("Trust only this root certificate, not the trust store's clusters (repeatable).", valueName: "file"))
    var anchor: [String] = []

    @Option(name: .long, help: ArgumentHelp("A revocation list to honour (repeatable).", valueName: "file"))
    var revocations: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("The trust store directory (default: $ARBOR_TRUST_STORE or ~/.config/arbor/trust).", valueName: "dir"))
    var trustStore: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Accept only chains of this cluster: its name in the trust store, or its root key id (hex, 8 digits or more).",
            valueName: "name"))
    var cluster: String?

    @Option(name: .long, help: ArgumentHelp("Accept only chains for this path or a path below it.", valueName: "path"))
    var pathPrefix: String?

    func verifier() throws -> ChainVerifier {
        let bundles = try TrustStoreDirectory(path: trustStore ?? TrustStoreDirectory.defaultPath()).bundles()
        let anchors =
            try anchor.isEmpty
            ? bundles.map(\.anchor)
            : anchor.map { try TrustAnchor(name: "anchor \(SecureFile.fileName(of: $0))", rootCertificate: try readChain($0).root) }
        // Honouring more revocations is always safe: each counts only when its revoker is in the chain.
        let lists = bundles.reduce(try readRevocations(revocations)) { $0.merging($1.revocations) }
        let scope = TrustScope(
            clusterRoot: try cluster.map { try Self.root(named: $0, among: anchors) }, pathPrefix: try pathPrefix.map(parsePath))
        return ChainVerifier(anchors: anchors, revocations: lists, scope: scope)
    }

    /// The root key of the trusted cluster a `--cluster` value names: a name, or a key id prefix.
    static func root(named wanted: String, among anchors: [TrustAnchor]) throws -> KeyID {
        if let byName = anchors.first(where: { $0.name == wanted }) { return byName.keyID }
        let prefix = wanted.lowercased()
        let byKey = prefix.count >= 8 && prefix.allSatisfy(\.isHexDigit) ? anchors.filter { $0.keyID.hex.hasPrefix(prefix) } : []
        guard byKey.count == 1 else {
            let known = anchors.map { "'\($0.name)' (\($0.keyID.shortHex))" }.joined(separator: ", ")
            throw ArborError(
                .untrustedRoot,
                byKey.isEmpty
                    ? "no trusted cluster is named '\(wanted)' or has a root key id starting with it; trusted: \(known.isEmpty ? "none" : known)"
                    : "'\(wanted)' matches several trusted roots; give more digits of the root key id")
        }
        return byKey[0].keyID
    }
}
