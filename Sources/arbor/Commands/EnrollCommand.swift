import ArborCore
import ArborKeyStore
import ArborOperations
import ArborServer
import ArgumentParser
import Foundation

struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enroll a new node: its parent issues a sealed, signed bundle; the node opens it once.",
        discussion: """
            The new node makes a one-time key ('arbor serve --enroll --data DIR --anchor root.cert --parent PATH', or \
            'arbor enroll request' to make it and exit) and shows its recipient and code. The parent issues the \
            bundle for that recipient ('arbor enroll issue', or a parent node's POST /v1/cluster/enrollments), and \
            the node installs it: pushed to its POST /v1/sys/enroll, or 'arbor serve --enroll --data DIR --bundle FILE' \
            or 'arbor enroll install'. See docs/cluster.md, "Enrollment".
            """,
        subcommands: [EnrollIssueCommand.self, EnrollRequestCommand.self, EnrollInstallCommand.self]
    )
}

struct EnrollIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a new node's enrollment bundle, sealed to its one-time key.",
        discussion: """
            Certifies --path below the issuer (--key NODE.key --chain NODE.chain, or --root), packs the node's key, \
            chains, the keyrings and trust bundles it is granted and the etcd endpoints, signs it, and seals it to \
            the new node's one-time recipient. --code is the code the new node printed: it must be the recipient's, \
            so a recipient swapped on the way is refused (exit 3).
            Example: arbor enroll issue --key eu.key --chain eu.chain --path eu/node-2 --recipients-file enroll.recipient \
            --code 01234-56789-01234-56789 -o node-2.bundle
            """
    )

    @OptionGroup var issuer: IssuerOptions

    @Option(name: .long, help: ArgumentHelp("The new node's path, below the issuer.", valueName: "path"))
    var path: String

    @Option(name: .long, help: ArgumentHelp("The new node's one-time recipient, age1pq1….", valueName: "recipient"))
    var recipient: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the one-time recipient (the node's enroll.recipient).", valueName: "file"))
    var recipientsFile: String?

    @Option(name: .long, help: ArgumentHelp("The code the new node printed with its recipient.", valueName: "code"))
    var code: String

    @Option(
        name: .long, help: ArgumentHelp("Grant this keyring: a file path or a name in $ARBOR_KEYRINGS (repeatable).", valueName: "keyring"))
    var keyring: [String] = []

    @Option(name: .long, help: ArgumentHelp("Give this trust bundle of another cluster (repeatable).", valueName: "file"))
    var trust: [String] = []

    @Option(name: .trustStore, help: ArgumentHelp("Give every cluster this trust store trusts.", valueName: "dir"))
    var trustStore: String?

    @Option(name: .long, help: ArgumentHelp("An etcd endpoint of the cluster, http(s)://host:port (repeatable).", valueName: "url"))
    var etcd: [String] = []

    @Option(name: .long, help: "Usages of the node's key: sign, agree, certify, comma-separated.")
    var usage: String = "sign,agree"

    @Option(name: .long, help: "Validity of the node's certificates in days.")
    var validityDays: Int = 365

    @Option(name: .long, help: ArgumentHelp("The bundle expires this long after it is issued (60 to 2592000).", valueName: "seconds"))
    var expiresIn: Int64 = EnrollmentRequest.defaultLifetime

    @Option(name: .output, help: ArgumentHelp("Where to write the sealed bundle (an age file).", valueName: "file"))
    var out: String

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @OptionGroup var keyPassphrase: KeyPassphraseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard (recipient == nil) != (recipientsFile == nil) else {
            throw ArborError(
                .invalidArgument, "give the new node's one-time key with either --recipient age1pq1… or --recipients-file FILE")
        }
        let recipientText = try recipient ?? readingFile(recipientsFile) { try SecureFile.read(recipientsFile!) }
        let keyrings = KeyringDirectory(passphrase: keyPassphrase.source)
        let granted = try keyring.map { try keyrings.load($0) }
        var bundles = try trust.map { path in try readingFile(path) { try TrustBundle(armored: try SecureFile.read(path)) } }
        if let trustStore { bundles += try TrustStoreDirectory(path: trustStore).bundles() }
        let request = EnrollmentRequest(
            path: try parsePath(path), usage: try KeyUsage(parsing: usage), validityDays: validityDays,
            recipient: recipientText.trimmingCharacters(in: .whitespacesAndNewlines), code: code, keyrings: granted,
            trustBundles: bundles, etcdEndpoints: etcd, lifetime: expiresIn)
        let issued = try EnrollmentIssuing.issue(request, by: try issuer.load(), now: now())
        try SecureFile.write(bytes: issued.file, to: out, mode: .public, overwrite: force)
        try output.emit(issued.summary, human: "wrote enrollment bundle \(out)\n\(issued.summary.text)")
    }
}

/// The new node's side, without serving: for scripts, and for a bundle carried by hand.
struct EnrollRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Make a new node's one-time key in its data directory and print its recipient and code.",
        discussion: """
            As 'arbor serve --enroll' does before it waits: the key (DIR/enroll.key, 0600) and its recipient \
            (DIR/enroll.recipient) stay until a bundle is installed. Run again, it shows the same key.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The new node's data directory (created 0700).", valueName: "dir"))
    var data: String

    @Option(name: .anchor, help: ArgumentHelp("The cluster's root certificate (root.cert).", valueName: "file"))
    var anchor: String?

    @Option(name: .long, help: ArgumentHelp("The parent's path (or the 64 hex digits of its key id).", valueName: "path"))
    var parent: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let directory = try EnrollmentDirectory.prepare(at: data, anchor: try anchor.map(readChain), parent: parent)
        try output.emit(EnrollmentWaitingSummary(directory), human: EnrollmentWaitingSummary(directory).text)
    }
}

struct EnrollInstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Open and install a node's enrollment bundle into its data directory, then exit.",
        discussion: """
            As 'arbor serve --enroll --bundle FILE' does before it serves: checks the bundle (sealed to this node's \
            one-time key, signed by the expected parent, not expired), installs the node key, chain, keyrings and \
            trust bundles, prints the root token once, and deletes the one-time key. Then run 'arbor serve --data DIR'.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The data directory that waits for the bundle.", valueName: "dir"))
    var data: String

    @Option(name: .long, help: ArgumentHelp("The sealed bundle from 'arbor enroll issue'.", valueName: "file"))
    var bundle: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let enrolled = try await installEnrollment(data: data, bundle: bundle)
        let summary = EnrolledSummary(enrolled)
        try output.emit(summary, human: summary.text)
    }
}

/// Opens the waiting directory and installs the bundle file into it.
func installEnrollment(data: String, bundle: String) async throws -> EnrolledNode {
    let directory = try EnrollmentDirectory.open(data)
    let file = try readingFile(bundle) { try SecureFile.readBytes(bundle) }
    return try await directory.install(bundle: file)
}

/// What a waiting node shows: the recipient and the code to compare.
struct EnrollmentWaitingSummary: Encodable {
    let dataDirectory: String
    let recipient: String
    let recipientFile: String
    let code: String
    let parent: String
    let cluster: String

    init(_ directory: EnrollmentDirectory) {
        dataDirectory = directory.path
        recipient = directory.recipient
        recipientFile = directory.path + "/" + EnrollmentDirectory.recipientFile
        code = directory.code
        parent = directory.expectation.parent.description
        cluster = directory.expectation.anchor.keyID.hex
    }

    var text: String {
        """
        One-time enrollment key in \(dataDirectory) for a bundle from \(parent) (cluster \(cluster.prefix(16))).
        Recipient (also in \(recipientFile)): \(recipient)
        Code (the parent must give the same): \(code)
        """
    }
}

/// What an enrolled node shows, once: the root token goes to its operator only.
struct EnrolledSummary: Encodable {
    let enrollment: EnrollmentSummary
    let dataDirectory: String
    let rootToken: String

    init(_ enrolled: EnrolledNode) {
        enrollment = enrolled.summary
        dataDirectory = enrolled.directory.path
        rootToken = enrolled.rootToken.reveal()
    }

    var text: String {
        """
        Enrolled \(enrollment.node) (key \(enrollment.keyID.prefix(16))) by \(enrollment.parent); the one-time key is deleted.
        \(enrollment.text)
        Root token (shown once, only its hash is kept): \(rootToken)
        Run: arbor serve --data \(dataDirectory)
        """
    }
}
