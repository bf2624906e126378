import ArgumentParser

/// One name per concept, for every command that takes it (the vocabulary test in
/// Tests/ArborCLITests/CLIVocabularyTests.swift checks that no command strays). Old spellings
/// are accepted through ``LegacySpellings``.
extension NameSpecification {
    /// `-o, --output FILE`: the file a command writes (age's name). A command that writes a second
    /// file names it `--<thing>-out` (`--chain-out`, `--cert-out`).
    static var output: NameSpecification { [.customShort("o"), .customLong("output")] }

    /// `--force`: replace an output file that already exists (without it, arbor refuses).
    static var force: NameSpecification { .customLong("force") }

    /// `--key FILE`: the node key file a command acts with, a node's own or an ancestor's.
    static var nodeKey: NameSpecification { .customLong("key") }

    /// `--chain FILE`: the certificate chain of `--key`.
    static var chain: NameSpecification { .customLong("chain") }

    /// `--anchor FILE`: a root certificate (a trust anchor).
    static var anchor: NameSpecification { .customLong("anchor") }

    /// `--revocations FILE`: a revocation list.
    static var revocations: NameSpecification { .customLong("revocations") }

    /// `--trust-store DIR`: the directory of trusted clusters.
    static var trustStore: NameSpecification { .customLong("trust-store") }

    /// `--etcd URL`: an endpoint of the cluster's etcd (repeatable; tried in order).
    static var etcd: NameSpecification { .customLong("etcd") }
}
