import Foundation
import Testing

/// `arbor hss` keeps the key's tree in KEY.tree (docs/custody-formats.md §3.9): a sign after keygen
/// computes no tree, a missing or damaged cache is computed again (with a warning for a damaged one)
/// and rewritten, and the progress of a tree computation shows on a terminal only.
@Suite("arbor hss tree cache", .serialized)
struct HSSTreeCacheCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func bytes(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: arbor.path(name))) }

    @Test("keygen writes the cache; signatures from a cached and an uncached key are identical and verify")
    func cachedAndUncachedSignaturesAreIdentical() throws {
        defer { arbor.remove() }
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--height", "10", "-o", "k.hss"]))
        #expect(try arbor.permissions("k.hss.tree") == 0o600)
        // The same key and state under another name, without its cache: the same leaf gives the same bytes.
        try bytes("k.hss").write(to: URL(fileURLWithPath: arbor.path("copy.hss")))
        try bytes("k.hss.state").write(to: URL(fileURLWithPath: arbor.path("copy.hss.state")))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: arbor.path("copy.hss"))
        try arbor.write("a message", to: "m.txt")
        CustodyTest.expectSuccess(try arbor.run(["hss", "sign", "--key", "k.hss", "m.txt", "-o", "cached.sig"]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "sign", "--key", "copy.hss", "m.txt", "-o", "uncached.sig"]))
        #expect(try bytes("cached.sig") == (try bytes("uncached.sig")))
        #expect(FileManager.default.fileExists(atPath: arbor.path("copy.hss.tree")), "a computed tree is cached for next time")
        #expect(try bytes("copy.hss.tree") == (try bytes("k.hss.tree")))
        CustodyTest.expectSuccess(try arbor.run(["hss", "verify", "--public-key", "k.pub", "m.txt", "--signature", "cached.sig"]))

        // Signing past the first bottom subtree (32 leaves for H10) rewrites the cache, still verifying.
        let before = try bytes("k.hss.tree")
        let batch = try arbor.run(["hss", "sign", "--key", "k.hss", "--count", "40", "--reserve", "40"])
        CustodyTest.expectSuccess(batch)
        #expect(try bytes("k.hss.tree") != before)
        try arbor.write(batch.stdout, to: "batch.txt")
        CustodyTest.expectSuccess(try arbor.run(["hss", "verify", "--public-key", "k.pub", "--batch", "batch.txt"]))
    }

    @Test("a damaged cache is not used: the tree is computed again, the cache rewritten, and the signature verifies")
    func damagedCacheIsRebuilt() throws {
        defer { arbor.remove() }
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--height", "5", "--winternitz", "8", "-o", "k.hss"]))
        try arbor.write("a message", to: "m.txt")
        for offset in [40, -1] {
            var damaged = try bytes("k.hss.tree")
            damaged[offset < 0 ? damaged.count + offset : offset] ^= 0x01
            try damaged.write(to: URL(fileURLWithPath: arbor.path("k.hss.tree")))
            let sign = try arbor.run(["hss", "sign", "--key", "k.hss", "m.txt", "-o", "m\(offset).sig"])
            CustodyTest.expectSuccess(sign)
            #expect(sign.stderr.contains("the tree cache of"), "\(sign.stderr)")
            #expect(sign.stderr.contains("MAC does not match"), "\(sign.stderr)")
            CustodyTest.expectSuccess(
                try arbor.run(["hss", "verify", "--public-key", "k.pub", "m.txt", "--signature", "m\(offset).sig"]))
            // Rewritten: the next sign uses it without a word.
            let again = try arbor.run(["hss", "sign", "--key", "k.hss", "m.txt", "-o", "again\(offset).sig"])
            CustodyTest.expectSuccess(again)
            #expect(!again.stderr.contains("tree cache"), "\(again.stderr)")
        }
        // Garbage in place of the cache, or another key's cache, is just as harmless.
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--height", "5", "--winternitz", "8", "-o", "other.hss"]))
        try bytes("other.hss.tree").write(to: URL(fileURLWithPath: arbor.path("k.hss.tree")))
        let foreign = try arbor.run(["hss", "sign", "--key", "k.hss", "m.txt", "-o", "foreign.sig"])
        CustodyTest.expectSuccess(foreign)
        #expect(foreign.stderr.contains("another key"), "\(foreign.stderr)")
        CustodyTest.expectSuccess(try arbor.run(["hss", "verify", "--public-key", "k.pub", "m.txt", "--signature", "foreign.sig"]))
    }

    @Test("an enrollment and a revocation that move into the next bottom subtree rewrite the cache")
    func enrollmentAndRevocationKeepTheCacheCurrent() throws {
        defer { arbor.remove() }
        CustodyTest.expectSuccess(
            try arbor.run(["hss", "keygen", "--levels", "2", "--height", "5", "--winternitz", "4", "-o", "cluster.hss"]))
        CustodyTest.expectSuccess(try arbor.makeHSSNode("node-1", path: "eu/node-1"))
        // H5: bottom subtrees of 4 leaves; leaf 4 is the first of the second one, leaf 8 of the third.
        CustodyTest.expectSuccess(try arbor.run(["hss", "burn", "--key", "cluster.hss", "--to", "4"]))
        let first = try bytes("cluster.hss.tree")
        CustodyTest.expectSuccess(
            try arbor.run([
                "hss", "enroll", "--key", "cluster.hss", "--request", "node-1.request", "-o", "node-1.delegation", "--anchor", "root.cert",
            ]))
        let second = try bytes("cluster.hss.tree")
        #expect(second != first)
        CustodyTest.expectSuccess(try arbor.run(["hss", "install", "--key", "node-1.hss", "--delegation", "node-1.delegation"]))
        try arbor.write("from node-1", to: "m.txt")
        CustodyTest.expectSuccess(try arbor.run(["hss", "sign", "--key", "node-1.hss", "m.txt"]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "verify", "--public-key", "cluster.pub", "m.txt", "--signature", "m.txt.sig"]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "burn", "--key", "cluster.hss", "--to", "8"]))
        CustodyTest.expectSuccess(
            try arbor.run(["hss", "revoke", "--key", "cluster.hss", "--delegation", "node-1.delegation", "-o", "node-1.revocation"]))
        #expect(try bytes("cluster.hss.tree") != second)
        CustodyTest.expectError(
            try arbor.run([
                "hss", "verify", "--public-key", "cluster.pub", "m.txt", "--signature", "m.txt.sig", "--revocations", "node-1.revocation",
            ]), status: 3, mentioning: "revoked")
    }

    static let terminalDriver = """
        import sys, os, pexpect
        arbor, directory = sys.argv[1:3]
        def run(arguments):
            child = pexpect.spawn(arbor, arguments, cwd=directory, timeout=120)
            child.expect(pexpect.EOF)
            child.close()
            return child.exitstatus, child.before.decode()
        status, keygen = run(["hss", "keygen", "--height", "10", "-o", "k.hss"])
        if status != 0 or "1024 / 1024 leaves (100%)" not in keygen:
            print("keygen:", status, keygen); sys.exit(1)
        status, cached = run(["hss", "sign", "--key", "k.hss", "m.txt", "-o", "one.sig"])
        if status != 0 or "leaves (" in cached:
            print("cached sign:", status, cached); sys.exit(2)
        os.remove(os.path.join(directory, "k.hss.tree"))
        status, first = run(["hss", "sign", "--key", "k.hss", "m.txt", "-o", "two.sig"])
        if status != 0 or "computing the tree of 'k.hss'" not in first or "1024 / 1024 leaves (100%)" not in first:
            print("first sign:", status, first); sys.exit(3)
        status, later = run(["hss", "sign", "--key", "k.hss", "m.txt", "-o", "three.sig"])
        if status != 0 or "leaves (" in later:
            print("later sign:", status, later); sys.exit(4)
        os.remove(os.path.join(directory, "k.hss.tree"))
        status, quiet = run(["hss", "sign", "--key", "k.hss", "m.txt", "-o", "four.sig", "--json"])
        if status != 0 or "leaves (" in quiet:
            print("json sign:", status, quiet); sys.exit(5)
        print("ok")
        """

    @Test("progress shows on a terminal for keygen and a sign without cache, never from the cache, never with --json")
    func progressOnATerminal() throws {
        defer { arbor.remove() }
        guard CustodyTest.python(has: "pexpect", for: "HSS progress on a terminal") else { return }
        try arbor.write("a message", to: "m.txt")
        let run = try CustodyTest.runPython(Self.terminalDriver, [arbor.url.path, arbor.directory.path], in: arbor.directory)
        #expect(run.status == 0, "\(run.output) \(run.errors)")
        #expect(run.output.hasSuffix("ok\n"))
    }

    @Test("piped, keygen and a sign that computes the tree print no progress")
    func quietWhenPiped() throws {
        defer { arbor.remove() }
        let keygen = try arbor.run(["hss", "keygen", "--height", "10", "-o", "k.hss"])
        CustodyTest.expectSuccess(keygen)
        #expect(keygen.stderr.isEmpty, "\(keygen.stderr)")
        try FileManager.default.removeItem(atPath: arbor.path("k.hss.tree"))
        let sign = try arbor.run(["hss", "sign", "--key", "k.hss"], input: Data("message".utf8))
        CustodyTest.expectSuccess(sign)
        #expect(sign.stderr.isEmpty, "\(sign.stderr)")
        #expect(FileManager.default.fileExists(atPath: arbor.path("k.hss.tree")))
    }
}
