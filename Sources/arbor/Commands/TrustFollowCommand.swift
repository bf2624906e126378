import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct TrustFollowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Follow a trusted cluster to its new root, after confirming the new safety number.",
        discussion: """
            A cluster that rekeys its root hands out a root transition ('arbor root rekey'), signed by its old and \
            its new root. The transition must start at a root the trust store trusts. As at the first import, \
            compare the NEW root's safety number with the other cluster's operator in person: whoever holds the \
            old root key could have signed a hand-over to a key of their own. The new root then takes the old \
            one's name and revocations, and the old root is no longer trusted.
            """
    )

    @Argument(help: "The root transition file.")
    var transition: String

    @Option(
        name: .long,
        help: ArgumentHelp("The new root's expected safety number (60 digits or 12 words), checked instead of asking.", valueName: "number")
    )
    var safetyNumber: String?

    @OptionGroup var store: TrustStoreOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let transition = try readingFile(self.transition) { try RootTransition(armored: try SecureFile.read(self.transition)) }
        let trust = TrustImport(store: store.directory)
        let (held, next) = try trust.verify(transition)
        if let safetyNumber {
            try transition.checkNewSafetyNumber(typed: safetyNumber)
        } else {
            try confirmSafetyNumber(
                next.safetyNumber,
                about: "'\(held.clusterName)' hands over from root \(held.anchor.keyID.shortHex) to the new root \(next.keyID.shortHex)",
                action: "follow the transition")
        }
        let result = try trust.follow(transition)
        try output.emit(
            result,
            human:
                "cluster '\(result.cluster)' now trusted under its new root \(result.rootKeyID.prefix(16)) (the old root is no longer trusted) in \(result.store)"
        )
    }
}
