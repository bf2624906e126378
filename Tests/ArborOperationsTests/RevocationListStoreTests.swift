import ArborCore
import ArborOperations
import Testing

/// A revocation list only grows: each added entry merges as a set into the list held, and a
/// revocation the list already enforces is not added twice.
@Suite struct RevocationListStoreTests {
    let validity: KeyCertificate.Validity
    let root: Issuer

    init() throws {
        let rootKey = RootKey.generate()
        validity = try KeyCertificate.Validity(notBefore: 0, notAfter: 1_000_000)
        root = try Issuer(rootKey: rootKey, validity: validity)
    }

    func certificate(_ path: String) throws -> KeyCertificate {
        try root.certify(TreePath(parsing: path), usage: .all, validity: validity).chain.leaf
    }

    func revocation(
        _ path: String, by issuer: Issuer? = nil, reason: Revocation.Reason = .superseded, time: Int64 = 1000
    ) throws -> Revocation {
        let leaf = try certificate(path)
        return try (issuer ?? root).revoke(leaf.keyID, at: leaf.path, reason: reason, time: time)
    }

    @Test func addingMergesAsASetAndNeverDropsAnEntry() throws {
        let (first, second) = (try revocation("eu/node-7"), try revocation("eu/node-8"))
        let store = InMemoryRevocationListStore()
        #expect(try store.add(first).list.revocations == [first])
        #expect(try store.add(second).list.revocations.count == 2)
        // The same entry again changes nothing and saves nothing.
        let again = try store.add(first)
        #expect(!again.added)
        #expect(again.list.revocations.count == 2)
        #expect(try Set(store.load().revocations.map(\.revokedPath.description)) == ["eu/node-7", "eu/node-8"])
        #expect(store.saves == 2)
    }

    @Test func revokingTheSameKeyTwiceLeavesOneEntry() throws {
        let store = InMemoryRevocationListStore()
        let first = try revocation("eu/node-7", time: 1000)
        #expect(try store.add(first).added)
        // Signed again later (another time, so other bytes): the list already says it.
        let second = try store.add(try revocation("eu/node-7", reason: .cessationOfOperation, time: 2000))
        #expect(!second.added)
        #expect(second.existing == first)
        #expect(try store.load().revocations == [first])
        #expect(store.saves == 1)
    }

    @Test func aKeyCompromiseCoversLaterRevocationsOfItsPathButNotTheOtherWayRound() throws {
        let store = InMemoryRevocationListStore()
        let superseded = try revocation("eu/node-7", reason: .superseded)
        #expect(try store.add(superseded).added)
        // A compromise covers every epoch of the branch, which the key's own entry does not: added.
        let compromise = try revocation("eu/node-7", reason: .keyCompromise, time: 2000)
        #expect(try store.add(compromise).added)
        // Now any revocation at that path, of this key or another epoch's, is already enforced.
        let rekeyed = try root.certify(TreePath(parsing: "eu/node-7"), epoch: 1, usage: .all, validity: validity).chain.leaf
        let ofAnotherEpoch = try root.revoke(rekeyed.keyID, at: rekeyed.path, reason: .superseded, time: 3000)
        #expect(try store.add(ofAnotherEpoch).existing == compromise)
        #expect(try store.add(try revocation("eu/node-7", reason: .keyCompromise, time: 4000)).existing == compromise)
        // Another path is not covered.
        #expect(try store.add(try revocation("eu/node-8", reason: .keyCompromise)).added)
        #expect(try store.load().revocations.count == 3)
    }

    @Test func anotherRevokersEntryIsNotTheSame() throws {
        // A verifier honours an entry only when its revoker is an ancestor in the chain it checks, so
        // the root's entry and eu's for the same key are two statements, not one.
        let store = InMemoryRevocationListStore()
        let eu = try root.certify(TreePath(parsing: "eu"), usage: .all, validity: validity)
        let euIssuer = try Issuer(secret: eu.secret, chain: eu.chain)
        #expect(try store.add(try revocation("eu/node-7")).added)
        #expect(try store.add(try revocation("eu/node-7", by: euIssuer)).added)
        #expect(try store.load().revocations.count == 2)
    }
}

extension Issuer {
    /// The root as an issuer, with a fresh root certificate.
    fileprivate init(rootKey: RootKey, validity: KeyCertificate.Validity) throws {
        try self.init(root: rootKey, rootCertificate: try KeyCertificate.root(try rootKey.node.keySet(), validity: validity))
    }
}
