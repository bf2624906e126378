import ArborCore
import ArborCustody

/// What `hss keygen` makes, checked before the tree is computed (which takes a while).
public struct HSSKeyPlan: Sendable {
    public let parameters: LMSParameters
    public let otsParameters: LMOTSParameters
    /// Levels of the HSS key this key tops (1: it signs messages itself); 1 for a node key.
    public let levels: Int
    /// A node's bottom tree, to be enrolled by the level above.
    public let isNodeKey: Bool

    /// - Parameter signedByNode: whether the node key and chain that sign a node's request were given.
    public init(height: Int, winternitz: Int, levels: Int, node: Bool, nodeKeyGiven: Bool, chainGiven: Bool) throws {
        guard let parameters = LMSParameters.all.first(where: { $0.height == height }) else {
            throw ArborError(.invalidArgument, "--height takes 5, 10, 15, 20 or 25")
        }
        guard let otsParameters = LMOTSParameters.all.first(where: { $0.winternitz == winternitz }) else {
            throw ArborError(.invalidArgument, "--winternitz takes 1, 2, 4 or 8")
        }
        guard (1...8).contains(levels) else { throw ArborError(.invalidArgument, "--levels takes 1 to 8") }
        guard !node || levels == 1 else {
            throw ArborError(.invalidArgument, "a --node key gets its level from its enrollment; drop --levels")
        }
        guard node == nodeKeyGiven, node == chainGiven else {
            throw ArborError(
                .invalidArgument,
                node
                    ? "a --node key's request is signed by the node: give its --key FILE and --chain FILE"
                    : "--key and --chain sign a node's request: add --node")
        }
        self.parameters = parameters
        self.otsParameters = otsParameters
        self.levels = levels
        isNodeKey = node
    }

    /// Hashes the new key's tree takes: 2^h leaves of p chains of 2^w − 1 steps.
    public var treeHashCount: Int {
        Int(parameters.leafCount) * otsParameters.chainCount * ((1 << otsParameters.winternitz) - 1)
    }

    /// A rough estimate of the key generation time on two cores, at the 5 million hashes a second
    /// measured for a release build (docs/performance.md; a debug build is slower): H15/W4 about
    /// 7 s, H15/W8 about a minute, H20/W4 about 3.5 minutes.
    public var estimatedSeconds: Int { treeHashCount / 5_000_000 }

    /// The warning shown before a keygen long enough to look stuck, or nil.
    public var durationWarning: String? {
        let seconds = estimatedSeconds
        guard seconds >= 5 else { return nil }
        let duration = seconds < 90 ? "\(seconds) seconds" : "\((seconds + 30) / 60) minutes"
        return "an \(parameters) / \(otsParameters) key computes \(parameters.leafCount) one-time keys "
            + "(about \(treeHashCount / 1_000_000) million hashes): roughly \(duration) on two cores, longer on a busy machine"
    }

    /// The new key, its key file and, for a node key, its request signed by the node's keys.
    /// `progress` hears of the leaves of the tree computed so far.
    public func generate(
        nodeSigner: NodeKeySet? = nil, nodeChain: CertificateChain? = nil, time: Int64, progress: LMSTreeProgress? = nil
    ) throws -> (key: LMSPrivateKey, file: HSSKeyFile, request: HSSEnrollmentRequest?) {
        let key = try custody {
            try LMSPrivateKey.generate(parameters: parameters, otsParameters: otsParameters, progress: progress)
        }
        let file = isNodeKey ? HSSKeyFile(unenrolled: key) : try custody { try HSSKeyFile(top: key, levels: levels) }
        var request: HSSEnrollmentRequest?
        if isNodeKey, let nodeSigner, let nodeChain {
            request = try custody { try HSSEnrollmentRequest(publicKey: key.publicKey, signer: nodeSigner, chain: nodeChain, time: time) }
        }
        return (key, file, request)
    }

    /// How the new key is described to people.
    public func role(nodePath: TreePath?) -> String {
        if isNodeKey { return "node key of \(nodePath.map(\.description) ?? "?") waiting for enrollment" }
        return levels == 1 ? "HSS key (1 level): signs messages" : "top of a \(levels)-level HSS key: enrolls the level below"
    }
}
