import ArborCore
import ArborOperations
import Testing

/// Trust import over an in-memory store: one name per root, renames only on request, and
/// revocations that merge as a set so an older bundle cannot lift one.
@Suite struct TrustImportTests {
    static let now = TestCluster.now
    typealias Cluster = TestCluster

    @Test func aNewRootIsStoredUnderTheNameTheImporterChose() throws {
        let store = InMemoryTrustStore()
        let eu = try Cluster()
        let result = try TrustImport(store: store).add(try eu.bundle("eu", revoking: ["eu/node-7"]), name: "partner-eu")
        #expect(
            result
                == TrustImportSummary(
                    cluster: "partner-eu", rootKeyID: eu.certificate.keyID.hex, newCluster: true, addedRevocations: 1, revocations: 1,
                    store: "memory"))
        #expect(result.imported)
        #expect(store.stored.map(\.clusterName) == ["partner-eu"])
    }

    @Test func aReimportMergesRevocationsAndNeverDropsOne() throws {
        let store = InMemoryTrustStore()
        let eu = try Cluster()
        let operations = TrustImport(store: store)
        _ = try operations.add(try eu.bundle("eu", revoking: ["eu/node-7"]))
        let newer = try operations.add(try eu.bundle("eu", revoking: ["eu/node-8"]))
        #expect((newer.newCluster, newer.addedRevocations, newer.revocations) == (false, 1, 2))
        // An older bundle, without either revocation, lifts nothing.
        let older = try operations.add(try eu.bundle("eu"))
        #expect((older.addedRevocations, older.revocations) == (0, 2))
        #expect(store.stored.count == 1)
        #expect(store.stored[0].revocations.revocations.count == 2)
    }

    @Test func twoRootsNeverShareAName() throws {
        let store = InMemoryTrustStore()
        let (eu, impostor) = (try Cluster(), try Cluster())
        _ = try TrustImport(store: store).add(try eu.bundle("eu"))
        #expect(throws: ArborError(.conflict, "")) { try TrustImport(store: store).add(try impostor.bundle("eu")) }
        #expect(store.saves == 1)
        #expect(store.stored.map(\.anchor.keyID) == [eu.certificate.keyID])
    }

    @Test func aTrustedRootIsRenamedOnlyWithRename() throws {
        let store = InMemoryTrustStore()
        let eu = try Cluster()
        _ = try TrustImport(store: store).add(try eu.bundle("eu"))
        do {
            _ = try TrustImport(store: store).add(try eu.bundle("europe"))
            Issue.record("a rename without --rename was accepted")
        } catch let error as ArborError {
            #expect(error.code == .conflict)
            #expect(error.message.contains("--name 'eu'"))
        }
        #expect(store.stored.map(\.clusterName) == ["eu"])
        let renamed = try TrustImport(store: store).add(try eu.bundle("europe"), rename: true)
        #expect(renamed.cluster == "europe" && !renamed.newCluster)
        #expect(store.stored.map(\.clusterName) == ["europe"])
    }

    @Test func aTypedSafetyNumberMustMatch() throws {
        let (eu, other) = (try Cluster(), try Cluster())
        let bundle = try eu.bundle("eu")
        try bundle.checkSafetyNumber(typed: bundle.safetyNumber.digits)
        try bundle.checkSafetyNumber(typed: bundle.safetyNumber.words.joined(separator: " "))
        #expect(throws: ArborError(.fingerprintMismatch, "")) {
            try bundle.checkSafetyNumber(typed: try other.bundle("eu").safetyNumber.digits)
        }
    }
}
