import ArborCluster
import ArborCore
import ArborKeyStore
import ArborOperations
import ArborServer
import ArgumentParser
import Foundation

/// The node and cluster options the messaging commands share: the node's data directory (its
/// key, chain and database), the etcd endpoints, and revocations to honour.
struct ClusterNodeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's data directory made by 'arbor serve init'.", valueName: "dir"))
    var data: String

    @Option(name: .long, help: ArgumentHelp("etcd client URLs, comma-separated or repeated, tried in order.", valueName: "url[,url…]"))
    var etcd: [String] = []

    @Option(name: .revocations, help: ArgumentHelp("A revocation list to honour (repeatable).", valueName: "file"))
    var revocations: [String] = []

    func validate() throws {
        guard !etcd.isEmpty else { throw ValidationError("name etcd with --etcd URL") }
    }

    /// The node, its database's message store, a mailbox for the cluster its chain leads to, and
    /// the revocations to honour: those given, and the cluster's revocation records in etcd.
    func open() async throws -> (
        node: NodeDataDirectory, store: DatabaseNodeMessageStore, mailbox: NodeMailbox, revocations: RevocationList
    ) {
        let node = try NodeDataDirectory.open(data)
        let database = try NodeDatabase(path: node.databasePath, node: node.keys)
        // The node's own chain starts at its cluster's root: the only anchor messages may lead to.
        let root = try TrustAnchor(name: "cluster", rootCertificate: node.chain.root)
        let mailbox = NodeMailbox(etcd: try EtcdClient(endpoints: try etcd.flatMap(clusterEndpoints)), root: root)
        let held = try readRevocations(revocations)
        return (node, DatabaseNodeMessageStore(database: database), mailbox, try await mailbox.revocations(adding: held, at: now()))
    }
}

struct ClusterSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send data to another node of the cluster, sealed to it and signed by this node.",
        discussion: """
            The data (at most 1 MiB less the message's overhead) is sealed to one of the recipient's one-time \
            prekeys (forward secrecy), or to its own key when it has none left, and written to its mailbox in etcd.
            """
    )

    @OptionGroup var cluster: ClusterNodeOptions

    @Option(name: .long, help: ArgumentHelp("The recipient node's path.", valueName: "path"))
    var to: String

    @Argument(help: "The file to send ('-' or nothing: standard input).")
    var file: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let recipient = try parsePath(to)
        let payload = try readInput(file, limit: NodeMessage.maximumCiphertextSize - (64 << 10))
        let (node, _, mailbox, revocations) = try await cluster.open()
        let sent = try await mailbox.send(
            Array(payload), as: node.secret, chain: node.chain, to: recipient, revocations: revocations, at: now())
        let summary = SentMessageSummary(recipient: sent.recipient, messageID: sent.messageID, prekeyID: sent.prekeyID)
        try output.emit(summary, human: summary.text)
    }
}

struct ClusterReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Publish this node's prekeys if few remain, then open the messages waiting for it.",
        discussion: """
            Each message opens at most once: its prekey's secret is deleted and its id remembered in the node's \
            database. Its payload is written to --output DIR under its message id (0600). Entries refused (forged, \
            replayed, for another key) are deleted and listed with the reason.
            """
    )

    @OptionGroup var cluster: ClusterNodeOptions

    @Option(name: .output, help: ArgumentHelp("The directory to write each message's payload into.", valueName: "dir"))
    var output: String

    @Flag(name: .force, help: "Replace a file of the same name in --output.")
    var force = false

    @OptionGroup var result: OutputOptions

    func run() async throws {
        let (node, store, mailbox, revocations) = try await cluster.open()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ArborError(.fileNotFound, "--output \(output) is not a directory; create it first")
        }
        let published = try await mailbox.replenishPrekeys(
            as: node.secret, chain: node.chain, store: store, revocations: revocations, at: now())
        var opened: [ReceivedMessagesSummary.Opened] = []
        var refused: [ReceivedMessagesSummary.Refused] = []
        for delivery in try await mailbox.receive(as: node.secret, store: store, revocations: revocations, at: now()) {
            switch delivery {
            case .opened(let message):
                let file = output + "/" + Hex.encode(message.messageID)
                try SecureFile.write(bytes: message.payload, to: file, mode: .secret, overwrite: force)
                opened.append(.init(message, file: file))
            case .refused(let key, let error):
                refused.append(.init(key: key, error: error))
            }
        }
        let summary = ReceivedMessagesSummary(publishedPrekeys: published, opened: opened, refused: refused)
        try result.emit(summary, human: summary.text)
    }
}
