import ArborCore
import ArborCustody

/// The files `root split` hands out, one per holder: a name that says which set and which share,
/// two comment lines for people, and the share. The caller writes them (mode 0600).
public struct RootShareFiles: Sendable {
    public struct File: Sendable {
        public let name: String
        public let contents: String
    }

    /// "arbor-share-v1" or "slip39".
    public let format: String
    /// The set identifier in hex.
    public let set: String
    public let files: [File]

    public init(groups: [[String]], plan: SplitPlan, rootKeyID: String) throws {
        var files = [File]()
        switch plan {
        case .arbor(let threshold, let count):
            let shares = try groups[0].map { text in try custody { try ArborShare(text: text) } }
            set = String(shares[0].setIdentifier, radix: 16).leftPadded(to: 8)
            for (share, text) in zip(shares, groups[0]) {
                let contents = """
                    # Arbor root share \(share.x) of \(count); any \(threshold) of set \(set) recover the root.
                    # Root key id \(rootKeyID). Secret: keep it offline. Recover with 'arbor root recover'.
                    \(text)

                    """
                files.append(File(name: "root-share-\(set)-\(share.x).txt", contents: contents))
            }
        case .slip39(let groupThreshold, let definitions):
            let first = try custody { try SLIP39Share(mnemonic: groups[0][0]) }
            set = String(first.identifier, radix: 16).leftPadded(to: 4)
            for (groupIndex, (definition, mnemonics)) in zip(definitions, groups).enumerated() {
                for (memberIndex, mnemonic) in mnemonics.enumerated() {
                    let contents = """
                        # Arbor root, SLIP-39 mnemonic: group \(groupIndex + 1) of \(definitions.count) (\(groupThreshold) \(groupThreshold == 1 ? "group" : "groups") needed), \
                        member \(memberIndex + 1) of \(definition.memberCount) (\(definition.memberThreshold) needed).
                        # Root key id \(rootKeyID). Secret: keep it offline. Recover with 'arbor root recover --slip39'.
                        \(mnemonic)

                        """
                    files.append(File(name: "root-slip39-\(set)-group\(groupIndex + 1)-member\(memberIndex + 1).txt", contents: contents))
                }
            }
        }
        format = plan.isSLIP39 ? "slip39" : "arbor-share-v1"
        self.files = files
    }
}
