import ArborCore
import ArborCustody
import ArborOperations
import Testing

/// Splitting the root into share files and recovering it, checked against its certificate; and
/// what `shares split` and `shares check` report.
@Suite struct RootCustodyTests {
    static func lines(_ texts: [String]) -> [ShareLine] {
        texts.enumerated().map { ShareLine(line: $0.offset + 1, text: $0.element) }
    }

    @Test func aRootSplitRecombinesToTheSameKeyID() throws {
        let root = RootKey.generate()
        let plan = try SplitPlan(threshold: 2, shares: 3, slip39: false, groups: nil, groupThreshold: nil)
        let (files, rootKeyID) = try RootShareFiles.split(
            root, plan: plan, unsafeThresholdOne: false, slip39Passphrase: nil, iterationExponent: 0, extendable: true)
        #expect(rootKeyID == (try root.node.keySet().keyID))
        let summary = RootSplitSummary(files, rootKeyID: rootKeyID)
        #expect(summary.format == "arbor-share-v1")
        #expect(summary.files.count == 3)
        #expect(summary.files.allSatisfy { $0.hasPrefix("root-share-\(summary.set)-") })

        let shares = files.files.map { $0.contents.split(separator: "\n").last.map(String.init) ?? "" }
        var secret = try RootRecovery.combine(
            Self.lines([shares[2], shares[0]]), slip39: false, acceptsThresholdOne: false, slip39Passphrase: "")
        let (_, recovered) = try RootRecovery.root(consuming: &secret, expectedKeyID: rootKeyID, certificateName: "root.cert")
        #expect(recovered == rootKeyID)
    }

    @Test func sharesOfAnotherRootRecoverNothing() throws {
        let (root, other) = (RootKey.generate(), RootKey.generate())
        let plan = try SplitPlan(threshold: 2, shares: 2, slip39: false, groups: nil, groupThreshold: nil)
        let (files, _) = try RootShareFiles.split(
            root, plan: plan, unsafeThresholdOne: false, slip39Passphrase: nil, iterationExponent: 0, extendable: true)
        let shares = files.files.map { $0.contents.split(separator: "\n").last.map(String.init) ?? "" }
        var secret = try RootRecovery.combine(Self.lines(shares), slip39: false, acceptsThresholdOne: false, slip39Passphrase: "")
        #expect(throws: ArborError(.fingerprintMismatch, "")) {
            try RootRecovery.root(consuming: &secret, expectedKeyID: try other.node.keySet().keyID, certificateName: "other.cert")
        }
    }

    @Test func thresholdOneIsRefusedUnlessUnsafe() throws {
        let root = RootKey.generate()
        let plan = try SplitPlan(threshold: 1, shares: 2, slip39: false, groups: nil, groupThreshold: nil)
        #expect(throws: ArborError(.invalidArgument, "")) {
            try RootShareFiles.split(
                root, plan: plan, unsafeThresholdOne: false, slip39Passphrase: nil, iterationExponent: 0, extendable: true)
        }
        let (files, _) = try RootShareFiles.split(
            root, plan: plan, unsafeThresholdOne: true, slip39Passphrase: nil, iterationExponent: 0, extendable: true)
        let share = files.files[0].contents.split(separator: "\n").last.map(String.init) ?? ""
        #expect(throws: ArborError(.invalidArgument, "")) {
            try RootRecovery.combine(Self.lines([share]), slip39: false, acceptsThresholdOne: false, slip39Passphrase: "")
        }
        var secret = try RootRecovery.combine(Self.lines([share]), slip39: false, acceptsThresholdOne: true, slip39Passphrase: "")
        #expect(try RootRecovery.root(consuming: &secret, expectedKeyID: nil, certificateName: "-").keyID == root.node.keySet().keyID)
    }

    @Test func aRootCertificateFileHoldsTheRootAlone() throws {
        let root = RootKey.generate()
        let validity = try KeyCertificate.Validity(notBefore: 0, notAfter: 1_000_000)
        let certificate = try KeyCertificate.root(try root.node.keySet(), validity: validity)
        #expect(try CertificateChain([certificate]).loneRootCertificate("'root.cert'") == certificate)
        let node = try Issuer(root: root, rootCertificate: certificate).certify(TreePath(parsing: "eu"), usage: .all, validity: validity)
        #expect(throws: ArborError(.invalidArgument, "")) { try node.chain.loneRootCertificate("'eu.chain'") }
    }

    @Test func shareSummariesNameSetsAndThresholdsNeverValues() throws {
        let plan = try SplitPlan(threshold: 2, shares: 3, slip39: false, groups: nil, groupThreshold: nil)
        let secret = Array(repeating: UInt8(7), count: 16)
        let groups = try plan.split(secret, slip39Passphrase: nil, iterationExponent: 0, extendable: true)
        let split = ShareSplitSummary(groups: groups, plan: plan)
        #expect(split.format == "arbor-share-v1" && split.groupThreshold == nil && split.groups[0].shares == groups[0])

        let lines = Self.lines(groups[0])
        let checks = ShareCheckSummary.of(try ParsedShares(lines, slip39: false), lines: lines)
        #expect(checks.map(\.line) == [1, 2, 3])
        #expect(checks.allSatisfy { $0.threshold == 2 && $0.set.count == 8 && $0.group == nil })
        #expect(Set(checks.map(\.set)).count == 1)
        #expect(CombinedSecretSummary(secret).secret == Hex.encode(secret))

        let slip39 = try SplitPlan(threshold: nil, shares: nil, slip39: true, groups: "2of3,1of1", groupThreshold: 2)
        let mnemonics = try slip39.split(secret, slip39Passphrase: "", iterationExponent: 0, extendable: true)
        let summary = ShareSplitSummary(groups: mnemonics, plan: slip39)
        #expect(summary.format == "slip39" && summary.groupThreshold == 2)
        #expect(summary.groups.map(\.memberThreshold) == [2, 1])
        let slipLines = Self.lines(mnemonics[0])
        let slipChecks = ShareCheckSummary.of(try ParsedShares(slipLines, slip39: true), lines: slipLines)
        #expect(slipChecks.map(\.index) == [1, 2, 3])
        #expect(slipChecks.allSatisfy { $0.group == 1 && $0.groupCount == 2 && $0.groupThreshold == 2 && $0.set.count == 4 })
    }
}
