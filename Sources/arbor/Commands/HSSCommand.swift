import ArborCluster
import ArborCore
import ArborCustody
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

struct HSSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hss",
        abstract: "Hash-based signatures (LMS/HSS, RFC 8554) with a leaf state that is never reused, and federated HSS.",
        discussion: """
            Keys and signatures use the RFC 8554 encodings (binary files, or hex text with --hex; both are read). \
            A key file KEY is kept with its leaf state KEY.state and lock KEY.lock: the state is written and fsynced \
            before any signature leaves arbor. Never restore a key or its state from a backup without burning leaves \
            first (arbor hss burn); see docs/custody.md. \
            Federated HSS: the cluster makes the top tree (keygen --levels 2); each node makes its own bottom tree \
            (keygen --node), sends its request, signed with its Arbor node key, gets it checked and signed (enroll) and \
            installs the delegation (install); from then on the node signs alone, and its signatures verify under the \
            cluster's HSS public key. A delegation is withdrawn with revoke; verify --revocations honours it.
            """,
        subcommands: [
            HSSKeygenCommand.self, HSSEnrollCommand.self, HSSInstallCommand.self, HSSSignCommand.self, HSSVerifyCommand.self,
            HSSInfoCommand.self, HSSBurnCommand.self, HSSRevokeCommand.self,
        ]
    )
}

/// A signing key with its leaf state, lock and tree cache in files (KEY, KEY.state, KEY.lock, KEY.tree);
/// the rules are ArborOperations' `HSSSigningKey`. When the tree must be computed (no usable cache),
/// a terminal sees its progress unless the output is JSON.
func hssKey(_ path: String, json: Bool) -> HSSSigningKey<HSSKeyFiles> {
    HSSSigningKey(
        store: HSSKeyFiles(key: path),
        progress: TreeProgress.onTerminal("computing the tree of '\(path)' (kept in '\(path).tree' from now on)", json: json)?.callback,
        notice: hssNotice)
}

struct HSSKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an LMS key: a whole HSS key (levels 1), a federation's top tree (levels 2…8), or a node's tree (--node).",
        discussion: """
            Writes KEY (0600), its leaf state KEY.state (0600), its tree cache KEY.tree and the public part: the HSS \
            public key (--public-key-out, default KEY with .pub) or, with --node, the enrollment request (--request-out, \
            default KEY with .request): the node's LMS public key and node path, signed with the node's Arbor keys \
            (--key, --chain). A key of height h has 2^h one-time leaves; computing them takes seconds at height 15 and \
            minutes at height 20 (a terminal sees the progress). The tree cache lets every later use skip that work.
            Example: arbor hss keygen --levels 2 --height 10 -o cluster.hss      (cluster.pub is the identity)
                     arbor hss keygen --node --height 10 -o node-7.hss --key node-7.key --chain node-7.chain
            """
    )

    @Option(name: .long, help: "Levels L of the HSS key this key is the top of (1…8). 1: it signs messages itself.")
    var levels: Int = 1

    @Flag(name: .long, help: "Make a node's key, to be enrolled by the level above (writes a request, not a public key).")
    var node = false

    @Option(name: .long, help: "Tree height: 5, 10, 15, 20 or 25 (2^h signatures).")
    var height: Int = 10

    @Option(name: .long, help: "Winternitz parameter: 1, 2, 4 or 8 (larger: smaller signatures, slower).")
    var winternitz: Int = 4

    @Option(name: .output, help: ArgumentHelp("Where to write the private key.", valueName: "file"))
    var out: String

    @Option(
        name: .customLong("public-key-out"),
        help: ArgumentHelp("Where to write the HSS public key (default: KEY with .pub).", valueName: "file"))
    var publicKey: String?

    @Option(
        name: .customLong("request-out"),
        help: ArgumentHelp("With --node: where to write the request (default: KEY with .request).", valueName: "file"))
    var request: String?

    @Flag(name: .force, help: "Replace the key, its state and its public file or request if they exist (the old key is lost).")
    var force = false

    @Option(name: .nodeKey, help: ArgumentHelp("With --node: the node's Arbor key file, which signs the request.", valueName: "file"))
    var nodeKey: String?

    @Option(name: .chain, help: ArgumentHelp("With --node: the node's certificate chain; it names the node.", valueName: "file"))
    var chain: String?

    @Flag(name: .long, help: "Write public files as hex text instead of binary.")
    var hex = false

    @OptionGroup var keyPassphrase: KeyPassphraseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let plan = try HSSKeyPlan(
            height: height, winternitz: winternitz, levels: levels, node: node, nodeKeyGiven: nodeKey != nil, chainGiven: chain != nil)
        let (parameters, otsParameters) = (plan.parameters, plan.otsParameters)
        // Checked before the tree is computed, which takes a while.
        let signer = try nodeKey.map { try readNodeKey($0, passphrase: keyPassphrase.source).keySet() }
        let nodeChain = try chain.map { try readChain($0) }
        let base = out.hasSuffix(".hss") ? String(out.dropLast(4)) : out
        let paths = HSSKeyFiles(key: out)
        let publicPath = node ? (request ?? base + ".request") : (publicKey ?? base + ".pub")
        for path in [out, paths.state, publicPath] where !force && FileManagerProbe.exists(path) {
            throw ArborError(.fileExists, "'\(path)' already exists; arbor will not overwrite it: move it away or choose another path")
        }
        if let warning = plan.durationWarning, !output.json { hssNotice(warning) }
        let progress = TreeProgress.onTerminal("computing the tree of '\(out)'", json: output.json)
        let (key, file, signedRequest) = try plan.generate(
            nodeSigner: signer, nodeChain: nodeChain, time: now(), progress: progress?.callback)
        try SecureFile.write(file.armored, to: out, mode: .secret, overwrite: force)
        let state = LMSLeafState(for: key).encoded
        try force ? HSSStateFile.replace(paths.state, bytes: state) : HSSStateFile.create(paths.state, bytes: state)
        HSSSigningKey(store: paths, notice: hssNotice).saveTreeCache(of: key)
        if let signedRequest {
            try SecureFile.write(signedRequest.armored, to: publicPath, mode: .public, overwrite: force)
        } else {
            try writePublicBytes(file.publicKey!.bytes, to: publicPath, hex: hex, overwrite: force)
        }
        let result = HSSKeygenSummary(
            plan: plan, key: key, request: signedRequest, keyFile: out, stateFile: paths.state, publicFile: publicPath)
        try output.emit(
            result,
            human: """
                wrote \(out) and its leaf state \(paths.state) (mode 0600): \(result.role)
                \(parameters) / \(otsParameters), \(parameters.leafCount) one-time leaves, I = \(result.identifier)
                \(node ? "enrollment request (send it to the level above)" : "HSS public key"): \(publicPath)
                """)
    }
}

struct HSSEnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Check a node's signed request, sign its key with this level's key (one leaf) and write the delegation.",
        discussion: """
            The request must be signed by the node it names, under a chain that verifies against the trusted roots \
            (--anchor, the trust store) and --revocations; --node PATH also requires that node. The leaf is reserved and \
            the state made durable before the signature is made. The delegation holds the HSS public key and the signed \
            links down to the node; it is public. Example:
            arbor hss enroll --key cluster.hss --request node-7.request --anchor root.cert --node eu/node-7 -o node-7.delegation
            """
    )

    @Option(name: .long, help: ArgumentHelp("The key of the level above (e.g. the cluster's top tree).", valueName: "file"))
    var key: String

    @Option(name: .long, help: ArgumentHelp("The node's signed request (written by keygen --node).", valueName: "file"))
    var request: String

    @Option(name: .long, help: ArgumentHelp("Enroll only if the request is this node's.", valueName: "path"))
    var node: String?

    @OptionGroup var trust: TrustOptions

    @Option(name: .output, help: ArgumentHelp("Where to write the delegation.", valueName: "file"))
    var out: String

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @Flag(name: .long, help: "Write the delegation as hex text.")
    var hex = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        if !force, FileManagerProbe.exists(out) {
            throw ArborError(.fileExists, "'\(out)' already exists; arbor will not overwrite it: move it away or choose another path")
        }
        let text = try SecureFile.read(request)
        guard Armor.label(of: text) == HSSEnrollmentRequest.armorLabel else {
            throw ArborError(
                .invalidSignature,
                "'\(request)' is not a signed enrollment request (an unsigned LMS public key names no node and proves no requester): "
                    + "have the node make one with arbor hss keygen --node --key KEY --chain CHAIN")
        }
        let signed = try custody(request) { try HSSEnrollmentRequest(armored: text) }
        let enrolled = try hssKey(key, json: output.json).enroll(
            signed, requestName: request, verifier: try trust.verifier(), at: now(), node: try node.map { try TreePath(parsing: $0) })
        try writePublicBytes(enrolled.delegation.bytes, to: out, hex: hex, overwrite: force)
        let result = HSSEnrollmentSummary(enrolled, request: signed, delegationFile: out)
        let verified = enrolled.verified
        try output.emit(
            result,
            human: "enrolled \(result.nodePath)'s key I = \(result.nodeIdentifier) (request signed by key \(verified.leaf.keyID.shortHex), "
                + "root: \(verified.anchor.name)) with leaf \(result.leaf) (\(result.remainingLeaves) left); wrote \(out)")
    }
}

struct HSSInstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the delegation from the level above into a node key, which can then sign alone.",
        discussion: "Checks every link of the delegation and that it ends at this key, then rewrites the key file atomically."
    )

    @Option(name: .long, help: ArgumentHelp("The node key made with keygen --node.", valueName: "file"))
    var key: String

    @Option(name: .long, help: ArgumentHelp("The delegation written by enroll.", valueName: "file"))
    var delegation: String

    @Option(name: .customLong("public-key-out"), help: ArgumentHelp("Also write the HSS public key here.", valueName: "file"))
    var publicKey: String?

    @Flag(name: .force, help: "Replace --public-key-out if it exists.")
    var force = false

    @Flag(name: .long, help: "Write the public key as hex text.")
    var hex = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let received = try readingFile(delegation) { try custody { try HSSDelegation(bytes: try readPublicBytes(delegation)) } }
        let installed = try hssKey(key, json: output.json).install(received)
        if let publicKey { try writePublicBytes(received.publicKey.bytes, to: publicKey, hex: hex, overwrite: force) }
        let result = HSSInstallSummary(installed: installed, delegation: received, keyFile: key)
        try output.emit(
            result,
            human: "installed: '\(key)' is level \(result.level) of \(result.levels)"
                + (result.signsMessages ? " and signs messages" : " and enrolls the level below"))
    }
}

struct HSSSignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign messages with an HSS key; each signature uses a one-time leaf made durable first.",
        discussion: """
            Signs each MESSAGE file into MESSAGE.sig (or the one message into -o FILE); with no file, signs standard \
            input and prints the signature in hex. Leaves are reserved --reserve at a time: the state file is written \
            and fsynced before the first of them is used, and reserved leaves left unused when arbor exits are burned.
            A key shared by several nodes (copies of one key file) signs with --etcd: each range of --reserve leaves is \
            first reserved in the cluster's etcd by a compare-and-swap on a record signed with the node's key \
            (--sign-with, --chain), so no two nodes ever use one leaf (docs/cluster.md); the last record seen is \
            kept in KEY.leaves.
            Example: arbor hss sign --key shared.hss --etcd http://127.0.0.1:2379 --sign-with node.key --chain node.chain m.txt
            """
    )

    @Option(name: .long, help: ArgumentHelp("The signing key (its state is KEY.state).", valueName: "file"))
    var key: String

    @Argument(help: ArgumentHelp("Message files (default: standard input).", valueName: "message"))
    var messages: [String] = []

    @Option(name: .output, help: ArgumentHelp("Where to write the signature (one message only).", valueName: "file"))
    var out: String?

    @Flag(name: .force, help: "Replace signature files that exist.")
    var force = false

    @Option(name: .long, help: "Leaves reserved per state write (1…1024); unused ones are burned at exit.")
    var reserve: Int = 1

    @Flag(name: .long, help: "Write signature files as hex text.")
    var hex = false

    @Option(name: .etcd, help: ArgumentHelp("Reserve leaves through this etcd endpoint (repeatable).", valueName: "url"))
    var etcd: [String] = []

    @Option(name: .long, help: ArgumentHelp("With --etcd: the node key that signs the reservations.", valueName: "file"))
    var signWith: String?

    @Option(name: .chain, help: ArgumentHelp("With --etcd: the certificate chain of --sign-with.", valueName: "file"))
    var chain: String?

    @OptionGroup var keyPassphrase: KeyPassphraseOptions

    /// Signs `count` generated messages, printing "leaf message-hex signature-hex" lines: for tests and benchmarks.
    @Option(name: .long, help: .hidden)
    var count: Int?

    @OptionGroup var output: OutputOptions

    func checkArguments() throws {
        guard (1...1024).contains(reserve) else { throw ArborError(.invalidArgument, "--reserve takes 1 to 1024") }
        guard out == nil || messages.count <= 1 else {
            throw ArborError(.invalidArgument, "-o names one signature file: sign one message with it")
        }
        guard etcd.isEmpty == (signWith == nil), etcd.isEmpty == (chain == nil) else {
            throw ArborError(
                .invalidArgument, "--etcd, --sign-with and --chain go together: a shared key reserves its leaves in the cluster")
        }
    }

    func run() async throws {
        try checkArguments()
        var session = try HSSSession(key: hssKey(key, json: output.json), reserve: reserve, cluster: try clusterLeaves())

        func sign(_ message: [UInt8]) async throws -> (HSSSignature, UInt32) {
            let signature = try await session.sign(message)
            return (signature, signature.messageSignature.leaf)
        }

        if let count {
            for index in 0..<max(count, 0) {
                let message = Array("arbor hss sign --count \(ProcessInfo.processInfo.processIdentifier) \(index)".utf8)
                let (signature, leaf) = try await sign(message)
                // One write per line, straight to the descriptor: a line is out before the next leaf is used.
                FileHandle.standardOutput.write(Data("\(leaf) \(Hex.encode(message)) \(Hex.encode(signature.bytes))\n".utf8))
            }
            return
        }

        var signed = [HSSSigningSummary.Signed]()
        if messages.isEmpty {
            let (signature, leaf) = try await sign(try readStandardInput())
            if let out {
                try writePublicBytes(signature.bytes, to: out, hex: hex, overwrite: force)
                signed.append(HSSSigningSummary.Signed(message: "-", signature: out, leaf: leaf))
            } else if !output.json {
                print(Hex.encode(signature.bytes))
                return
            } else {
                signed.append(HSSSigningSummary.Signed(message: "-", signature: Hex.encode(signature.bytes), leaf: leaf))
            }
        } else {
            for message in messages {
                let target = out ?? message + ".sig"
                if !force, FileManagerProbe.exists(target) {
                    throw ArborError(.fileExists, "'\(target)' already exists; arbor will not overwrite it: move it away")
                }
                let (signature, leaf) = try await sign(try SecureFile.readBytes(message))
                try writePublicBytes(signature.bytes, to: target, hex: hex, overwrite: force)
                signed.append(HSSSigningSummary.Signed(message: message, signature: target, leaf: leaf))
            }
        }
        let remaining = session.state?.remainingLeaves ?? 0
        try output.emit(
            HSSSigningSummary(signatures: signed, remainingLeaves: remaining),
            human: signed.map { "signed \($0.message) with leaf \($0.leaf): \($0.signature)" }.joined(separator: "\n")
                + "\n\(counted(remaining, "leaf", "leaves")) left")
    }
}

extension HSSSignCommand {
    /// The cluster's leaf counter for a shared key, with the last record seen kept in KEY.leaves.
    func clusterLeaves() throws -> EtcdLeafRanges? {
        guard let signWith, let chain else { return nil }
        let secret = try readNodeKey(signWith, passphrase: keyPassphrase.source)
        let certificates = try readChain(chain)
        let anchor = try TrustAnchor(name: "cluster", rootCertificate: certificates.root)
        let statePath = key + ".leaves"
        let saved = FileManagerProbe.exists(statePath) ? try SecureFile.readBytes(statePath) : nil
        let client = try EtcdClient(endpoints: etcd)
        return try readingFile(statePath) {
            try EtcdLeafRanges(
                etcd: client, secret: secret, chain: certificates, root: anchor, savedState: saved,
                clock: { Int64(Date().timeIntervalSince1970) },
                persist: { try SecureFile.write(bytes: $0, to: statePath, mode: .public, overwrite: true) })
        }
    }
}

/// Signs with a key alone (leaves from its state file) or shared (ranges from the cluster first).
enum HSSSession {
    case alone(HSSSigningSession<HSSKeyFiles>)
    case shared(SharedHSSSigningSession<HSSKeyFiles, EtcdLeafRanges>)

    init(key: HSSSigningKey<HSSKeyFiles>, reserve: Int, cluster: EtcdLeafRanges?) throws {
        if let cluster {
            self = .shared(try SharedHSSSigningSession(key: key, source: cluster, range: reserve))
        } else {
            self = .alone(try HSSSigningSession(key: key, batch: reserve))
        }
    }

    var state: LMSLeafState? {
        switch self {
        case .alone(let session): session.state
        case .shared(let session): session.state
        }
    }

    mutating func sign(_ message: [UInt8]) async throws -> HSSSignature {
        switch self {
        case .alone(var session):
            defer { self = .alone(session) }
            return try session.sign(message)
        case .shared(var session):
            defer { self = .shared(session) }
            return try await session.sign(message)
        }
    }
}

struct HSSVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an HSS signature under an HSS public key (exit 3 if it does not verify).",
        discussion: """
            The public key and the signature may be binary (RFC 8554) or hex text. The message is MESSAGE, or standard \
            input. --batch FILE verifies many: each line is 'MESSAGE-HEX SIGNATURE-HEX' (or 'LEAF MESSAGE-HEX SIGNATURE-HEX').
            """
    )

    @Option(name: .long, help: ArgumentHelp("The HSS public key (e.g. cluster.pub).", valueName: "file"))
    var publicKey: String

    @Argument(help: ArgumentHelp("The message file (default: standard input).", valueName: "message"))
    var message: String?

    @Option(name: .long, help: ArgumentHelp("The signature file.", valueName: "file"))
    var signature: String?

    @Option(name: .long, help: ArgumentHelp("Verify every 'message-hex signature-hex' line of this file.", valueName: "file"))
    var batch: String?

    @Option(name: .revocations, help: ArgumentHelp("A delegation revocation to honour (repeatable).", valueName: "file"))
    var revocations: [String] = []

    @OptionGroup var output: OutputOptions

    func checkArguments() throws {
        guard (signature == nil) != (batch == nil) else {
            throw ArborError(.invalidArgument, "give either --signature FILE or --batch FILE")
        }
        guard batch == nil || message == nil else { throw ArborError(.invalidArgument, "--batch takes no message file") }
    }

    func run() async throws {
        try checkArguments()
        let key = try readingFile(publicKey) { try custody { try HSSPublicKey(bytes: try readPublicBytes(publicKey)) } }
        let verification = try HSSVerification(
            publicKey: key, named: publicKey,
            revocations: try revocations.map { path in
                (path, try readingFile(path) { try custody { try HSSDelegationRevocation(armored: try SecureFile.read(path)) } })
            })
        let leaves: [UInt32]
        if let batch {
            leaves = try verification.verifyBatch(try SecureFile.read(batch), named: batch)
        } else {
            let messageBytes = try message.map { try SecureFile.readBytes($0) } ?? readStandardInput()
            leaves = [try verification.verify(try readPublicBytes(signature!), for: messageBytes, what: "the signature \(signature!)")]
        }
        try output.emit(
            HSSVerificationSummary(leaves: leaves),
            human: leaves.count == 1
                ? "valid signature (leaf \(leaves[0]), \(key.levels) level\(key.levels == 1 ? "" : "s"))"
                : "\(counted(leaves.count, "valid signature"))")
    }

}

struct HSSInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe an HSS key, leaf state, public key, request, delegation or signature file (never its secrets).",
        discussion: "For a key file, also shows its leaf state (KEY.state): the next leaf and how many remain."
    )

    @Argument(help: ArgumentHelp("The file to describe.", valueName: "file"))
    var file: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let info = try HSSFileDescription(
            describing: try SecureFile.readBytes(file), named: file, signingKey: hssKey(file, json: output.json))
        var lines = [info.kind]
        if let levels = info.levels { lines.append("levels: \(levels)" + (info.level.map { ", this key is level \($0)" } ?? "")) }
        if !info.lms.isEmpty { lines.append("parameters: " + zip(info.lms, info.lmots).map { "\($0)/\($1)" }.joined(separator: ", ")) }
        if let identifier = info.identifier { lines.append("I: \(identifier)") }
        if !info.leaves.isEmpty { lines.append("leaves used, top to bottom: " + info.leaves.map(String.init).joined(separator: ", ")) }
        if let next = info.nextLeaf, let count = info.leafCount, let remaining = info.remainingLeaves {
            lines.append("next leaf: \(next) of \(count), \(remaining) remaining")
        }
        try output.emit(info, human: lines.joined(separator: "\n"))
    }
}

struct HSSBurnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burn",
        abstract: "Advance a key's leaf state so that leaves a backup or another copy might have used are never used again.",
        discussion: """
            The state only moves forward: --to LEAF makes LEAF the next leaf, and a LEAF behind the current next leaf \
            is refused (exit 3); --leaves N skips N. If the state file was lost, --recreate-state --to LEAF writes a \
            new one: choose LEAF (at least 1) past every leaf the key may ever have used (docs/custody.md). Burning \
            every leaf (--to 2^h) retires the key.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The key whose leaves to burn.", valueName: "file"))
    var key: String

    @Option(name: .long, help: "Make this the next leaf to use.")
    var to: UInt32?

    @Option(name: .long, help: "Skip this many leaves.")
    var leaves: UInt32?

    @Flag(name: .long, help: "Write a new state file if it is missing (needs --to).")
    var recreateState = false

    @OptionGroup var output: OutputOptions

    func checkArguments() throws {
        guard (to == nil) != (leaves == nil) else { throw ArborError(.invalidArgument, "give either --to LEAF or --leaves N") }
        guard !recreateState || to != nil else { throw ArborError(.invalidArgument, "--recreate-state needs --to LEAF") }
    }

    func run() async throws {
        try checkArguments()
        let paths = HSSKeyFiles(key: key)
        let state = try hssKey(key, json: output.json).burn(to.map { .to($0) } ?? .skipping(leaves!), recreateMissingState: recreateState)
        try output.emit(
            HSSBurnSummary(state, stateFile: paths.state),
            human: "\(paths.state): next leaf \(state.nextLeaf), \(state.remainingLeaves) remaining")
    }
}

struct HSSRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Withdraw a delegation: sign a revocation of the enrolled key with this level's key (one leaf).",
        discussion: """
            The key must be the one that enrolled the delegation, or a level above it. The revocation is public: give \
            it to every verifier (arbor hss verify --revocations FILE), which then refuses every signature made under \
            the revoked key. Example:
            arbor hss revoke --key cluster.hss --delegation node-7.delegation -o node-7.revocation
            """
    )

    @Option(name: .long, help: ArgumentHelp("The key of the level above the delegation.", valueName: "file"))
    var key: String

    @Option(name: .long, help: ArgumentHelp("The delegation to withdraw (written by enroll).", valueName: "file"))
    var delegation: String

    @Option(name: .output, help: ArgumentHelp("Where to write the revocation.", valueName: "file"))
    var out: String

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        if !force, FileManagerProbe.exists(out) {
            throw ArborError(.fileExists, "'\(out)' already exists; arbor will not overwrite it: move it away or choose another path")
        }
        let withdrawn = try readingFile(delegation) { try custody { try HSSDelegation(bytes: try readPublicBytes(delegation)) } }
        let revoked = try hssKey(key, json: output.json).revoke(withdrawn, delegationName: delegation)
        try SecureFile.write(revoked.revocation.armored, to: out, mode: .public, overwrite: force)
        let result = HSSRevocationSummary(revoked, revocationFile: out)
        try output.emit(
            result,
            human:
                "revoked the delegation of key I = \(result.revokedIdentifier) with leaf \(result.leaf) (\(result.remainingLeaves) left); "
                + "wrote \(out): give it to every verifier (arbor hss verify --revocations)")
    }
}
