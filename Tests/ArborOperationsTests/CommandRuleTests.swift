import ArborCore
import ArborOperations
import ArborSeal
import Testing

/// The rules that left the CLI's command files: a parent-ordered rekey revokes only the node it
/// moves, `--to-node` needs a key-agreement certificate, a fingerprint needs a self-signed root,
/// a keyring owner is derived below the given key, and an audit log's head and last line.
@Suite struct CommandRuleTests {
    static let now = TestCluster.now
    static let validity = TestCluster.validity

    let cluster: TestCluster
    var root: RootKey { cluster.root }
    var certificate: KeyCertificate { cluster.certificate }
    var issuer: Issuer { cluster.issuer }

    init() throws { cluster = try TestCluster() }

    var verifier: ChainVerifier {
        get throws {
            ChainVerifier(anchors: [try TrustAnchor(name: "eu", rootCertificate: certificate)], revocations: RevocationList())
        }
    }

    func chain(_ path: String, usage: KeyUsage = .all) throws -> CertificateChain { try cluster.chain(path, usage: usage) }

    @Test func aParentOrderedRekeyRevokesTheMovedNodeOnly() throws {
        let current = try TreePath(parsing: "eu/node-7")
        let old = try chain("eu/node-7").leaf
        let moved = try ParentOrderedRekey.move(
            current, by: issuer, usage: .all, validity: Self.validity, revoking: old, reason: .keyCompromise, time: Self.now)
        #expect(moved.chain.leaf.path.description == "eu/node-7#1")
        #expect(moved.revocation?.revokedKeyID == old.keyID)
        #expect(moved.revocation?.coversBranch == true)
        let summary = RekeySummary(mode: "parent-ordered", chain: moved.chain, keyFile: "k", chainFile: "c", revoked: moved.revocation)
        #expect(summary.revokedOldKeyID == old.keyID.hex && summary.revocationReason == "key-compromise")

        let other = try chain("eu/node-8").leaf
        #expect(throws: ArborError(.invalidArgument, "")) {
            try ParentOrderedRekey.move(
                current, by: issuer, usage: .all, validity: Self.validity, revoking: other, reason: .superseded, time: Self.now)
        }
        let unrevoked = try ParentOrderedRekey.move(
            current, by: issuer, usage: .all, validity: Self.validity, revoking: nil, reason: .superseded, time: Self.now)
        #expect(unrevoked.revocation == nil)
    }

    @Test func aNodeRecipientNeedsAVerifiedKeyAgreementCertificate() throws {
        let agreeing = try chain("eu/node-7", usage: [.keyAgreement])
        let (recipient, verified) = try NodeRecipient.of(agreeing, named: "node-7.chain", verifier: try verifier, at: Self.now)
        #expect(verified.cluster == "eu")
        #expect(recipient.encoded == AgeRecipient.postQuantum(of: agreeing.leaf.publicKeys).encoded)
        #expect(throws: ArborError(.usageNotAllowed, "")) {
            try NodeRecipient.of(try chain("eu/node-8", usage: [.sign]), named: "node-8.chain", verifier: try verifier, at: Self.now)
        }
        // A chain that no longer verifies (expired here) gives no recipient.
        #expect(throws: ArborError.self) {
            try NodeRecipient.of(agreeing, named: "node-7.chain", verifier: try verifier, at: Self.now + 2 * 86_400)
        }
    }

    @Test func aFingerprintNeedsASelfSignedRoot() throws {
        let summary = try RootFingerprintSummary(armored: try CertificateChain([certificate]).armored, named: "root.cert")
        #expect(summary.rootKeyID == certificate.keyID.hex)
        #expect(summary.safetyNumber == SafetyNumberSummary(SafetyNumber(rootKeys: certificate.publicKeys)))
        let bundle = try TrustBundle(clusterName: "eu", chain: CertificateChain([certificate]))
        #expect(try RootFingerprintSummary(armored: bundle.armored, named: "eu.bundle") == summary)
        #expect(throws: ArborError(.malformedInput, "")) { try RootFingerprintSummary(armored: "hello", named: "x") }
    }

    @Test func aKeyringOwnerIsDerivedBelowTheGivenKey() throws {
        let eu = try root.node.descendant(TreePath(parsing: "eu"))
        #expect(try eu.keyringOwner(at: nil).path == eu.path)
        #expect(try eu.keyringOwner(at: TreePath(parsing: "eu")).path == eu.path)
        let payments = try eu.keyringOwner(at: TreePath(parsing: "eu/payments"))
        #expect(try payments.keySet().keyID == (try eu.descendant(TreePath(parsing: "eu/payments")).keySet().keyID))
    }

    @Test func anAuditHeadLineMustBeAHeadAndATornLogIsCorrupt() throws {
        let node = try root.node.descendant(TreePath(parsing: "eu/node-7")).keySet()
        let entry = try AuditEntry.next(
            after: nil, time: 1_800_000_000_000, requestID: "req-1", accessor: "a", operation: "encrypt", keyring: "payments",
            result: "ok", client: "127.0.0.1")
        let head = try AuditHead(signing: entry, time: entry.time, with: node)
        #expect(try AuditLogVerification.expectedHead(line: AuditRecord.head(head).line, named: "head.json") == head)
        #expect(throws: ArborError(.invalidArgument, "")) {
            try AuditLogVerification.expectedHead(line: AuditRecord.entry(entry).line, named: "entry.json")
        }

        var progress = try AuditChainVerifier(signer: node.publicKeys).start(expectedHead: nil)
        try progress.add(line: AuditRecord.entry(entry).line)
        try progress.add(line: AuditRecord.head(head).line)
        #expect(throws: ArborError(.corruptFile, "")) { try AuditLogVerification.finish(progress, tornLines: 1) }
        let report = try AuditLogVerification.finish(progress, tornLines: 0)
        let summary = AuditVerificationSummary(report, signer: try verifier.verify(try chain("eu/node-7"), at: Self.now))
        #expect((summary.entries, summary.heads, summary.unsignedEntries, summary.node) == (1, 1, 0, "eu/node-7"))
    }
}
