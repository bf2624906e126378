import ArborCore
import ArborOperations
import Testing

/// A revocation list only grows: each added entry merges as a set into the list held.
@Suite struct RevocationListStoreTests {
    @Test func addingMergesAsASetAndNeverDropsAnEntry() throws {
        let root = RootKey.generate()
        let validity = try KeyCertificate.Validity(notBefore: 0, notAfter: 1_000_000)
        let issuer = try Issuer(root: root, rootCertificate: try KeyCertificate.root(try root.node.keySet(), validity: validity))
        func revocation(_ path: String) throws -> Revocation {
            let leaf = try issuer.certify(TreePath(parsing: path), usage: .all, validity: validity).chain.leaf
            return try issuer.revoke(leaf.keyID, at: leaf.path, reason: .superseded, time: 1000)
        }
        let (first, second) = (try revocation("eu/node-7"), try revocation("eu/node-8"))
        let store = InMemoryRevocationListStore()
        #expect(try store.add(first).revocations == [first])
        #expect(try store.add(second).revocations.count == 2)
        // The same entry again changes nothing.
        #expect(try store.add(first).revocations.count == 2)
        #expect(try Set(store.load().revocations.map(\.revokedPath.description)) == ["eu/node-7", "eu/node-8"])
        #expect(store.saves == 3)
    }
}
