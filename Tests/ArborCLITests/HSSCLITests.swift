import Foundation
import Testing

/// `arbor hss`: keygen, sign, verify and info with RFC 8554 files; federated enrollment; leaf
/// reservation in batches; burning; exhaustion.
@Suite("arbor hss", .serialized)
struct HSSCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let outcome = try arbor.run(arguments + ["--json"])
        CustodyTest.expectSuccess(outcome)
        return try #require(try arbor.json(outcome) as? [String: Any])
    }

    @Test("a one-level key signs files; signatures verify, in binary and hex; a wrong message or key fails with exit 3")
    func signAndVerify() throws {
        defer { arbor.remove() }
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--height", "5", "--winternitz", "8", "-o", "solo.hss"]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--height", "5", "--winternitz", "8", "-o", "other.hss", "--hex"]))
        for name in ["solo.hss", "solo.hss.state"] { #expect(try arbor.permissions(name) == 0o600) }
        try arbor.write("first message", to: "a.txt")
        try arbor.write("second message", to: "b.txt")
        let signed = try json(["hss", "sign", "--key", "solo.hss", "a.txt", "b.txt", "--reserve", "4"])
        let leaves = try #require(signed["signatures"] as? [[String: Any]]).compactMap { $0["leaf"] as? Int }
        #expect(leaves == [0, 1])
        // Four leaves were reserved and durable before signing; the two unused ones are burned.
        #expect(signed["remainingLeaves"] as? Int == 28)
        let info = try json(["hss", "info", "solo.hss"])
        #expect(info["nextLeaf"] as? Int == 4)

        CustodyTest.expectSuccess(try arbor.run(["hss", "verify", "--public-key", "solo.pub", "a.txt", "--signature", "a.txt.sig"]))
        CustodyTest.expectError(
            try arbor.run(["hss", "verify", "--public-key", "solo.pub", "b.txt", "--signature", "a.txt.sig"]), status: 3,
            mentioning: "does not verify")
        CustodyTest.expectError(
            try arbor.run(["hss", "verify", "--public-key", "other.pub", "a.txt", "--signature", "a.txt.sig"]), status: 3,
            mentioning: "does not verify")
        // Hex signature from standard input to a file; stdout hex without -o.
        let hexSigned = try arbor.run(["hss", "sign", "--key", "solo.hss", "--hex", "-o", "c.sig"], input: "third")
        CustodyTest.expectSuccess(hexSigned)
        #expect(try arbor.read("c.sig").allSatisfy { $0.isHexDigit || $0 == "\n" })
        CustodyTest.expectSuccess(try arbor.run(["hss", "verify", "--public-key", "solo.pub", "--signature", "c.sig"], input: "third"))
        let printed = try arbor.run(["hss", "sign", "--key", "solo.hss"], input: "fourth")
        CustodyTest.expectSuccess(printed)
        try arbor.write(printed.stdout, to: "d.sig")
        let described = try json(["hss", "info", "d.sig"])
        #expect(described["leaves"] as? [Int] == [5])
        // A damaged signature is not valid (3); a public key file that does not parse is a corrupt file (5), named.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: arbor.path("a.txt.sig")))
        bytes[100] ^= 1
        try bytes.write(to: URL(fileURLWithPath: arbor.path("bad.sig")))
        CustodyTest.expectError(
            try arbor.run(["hss", "verify", "--public-key", "solo.pub", "a.txt", "--signature", "bad.sig"]), status: 3,
            mentioning: "does not verify")
        try arbor.write("not a key", to: "bad.pub")
        CustodyTest.expectError(
            try arbor.run(["hss", "verify", "--public-key", "bad.pub", "a.txt", "--signature", "a.txt.sig"]), status: 5,
            mentioning: "--public-key bad.pub: ")
    }

    @Test("federated HSS: nodes enrolled by the cluster's top tree sign alone under the cluster public key")
    func federated() throws {
        defer { arbor.remove() }
        CustodyTest.expectSuccess(
            try arbor.run(["hss", "keygen", "--levels", "2", "--height", "5", "--winternitz", "4", "-o", "cluster.hss"]))
        for node in ["node-1", "node-2"] {
            CustodyTest.expectSuccess(try arbor.makeHSSNode(node, path: "eu/\(node)"))
            // Before enrollment the node cannot sign.
            CustodyTest.expectError(
                try arbor.run(["hss", "sign", "--key", "\(node).hss"], input: "x"), status: 2, mentioning: "not enrolled")
            let enrolled = try json([
                "hss", "enroll", "--key", "cluster.hss", "--request", "\(node).request", "--anchor", "root.cert", "--node", "eu/\(node)",
                "-o", "\(node).delegation",
            ])
            #expect(enrolled["leaf"] as? Int == (node == "node-1" ? 0 : 1))
            #expect(enrolled["nodePath"] as? String == "eu/\(node)")
            CustodyTest.expectSuccess(try arbor.run(["hss", "install", "--key", "\(node).hss", "--delegation", "\(node).delegation"]))
        }
        // The top tree enrolls, it does not sign messages; a node's delegation does not fit another node.
        CustodyTest.expectError(try arbor.run(["hss", "sign", "--key", "cluster.hss"], input: "x"), status: 2, mentioning: "enroll")
        CustodyTest.expectError(
            try arbor.run(["hss", "install", "--key", "node-1.hss", "--delegation", "node-2.delegation"]), status: 2,
            mentioning: "already enrolled")
        CustodyTest.expectSuccess(try arbor.makeHSSNode("node-3", path: "eu/node-3"))
        CustodyTest.expectError(
            try arbor.run(["hss", "install", "--key", "node-3.hss", "--delegation", "node-2.delegation"]), status: 3,
            mentioning: "another key")

        try arbor.write("from node 1", to: "m1")
        try arbor.write("from node 2", to: "m2")
        CustodyTest.expectSuccess(try arbor.run(["hss", "sign", "--key", "node-1.hss", "m1"]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "sign", "--key", "node-2.hss", "m2"]))
        for message in ["m1", "m2"] {
            let verified = try json(["hss", "verify", "--public-key", "cluster.pub", message, "--signature", "\(message).sig"])
            #expect(verified["valid"] as? Bool == true)
        }
        let info = try json(["hss", "info", "m2.sig"])
        #expect(info["leaves"] as? [Int] == [1, 0])
        #expect(try json(["hss", "info", "cluster.hss"])["nextLeaf"] as? Int == 2)
    }

    @Test("an exhausted key gives a clear error and a non-zero exit; burn only moves forward; a lost state is not silently recreated")
    func exhaustionAndBurning() throws {
        defer { arbor.remove() }
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--height", "5", "--winternitz", "8", "-o", "k.hss"]))
        let burned = try json(["hss", "burn", "--key", "k.hss", "--to", "30"])
        #expect(burned["nextLeaf"] as? Int == 30)
        // Moving the state back would reuse leaves 3…29: refused (3, conflict), and the state is unchanged.
        CustodyTest.expectError(try arbor.run(["hss", "burn", "--key", "k.hss", "--to", "3"]), status: 3, mentioning: "only moves forward")
        CustodyTest.expectError(
            try arbor.run(["hss", "burn", "--key", "k.hss", "--to", "0", "--recreate-state"]), status: 3, mentioning: "only moves forward")
        #expect(try json(["hss", "info", "k.hss"])["nextLeaf"] as? Int == 30)
        #expect(try json(["hss", "burn", "--key", "k.hss", "--to", "30"])["nextLeaf"] as? Int == 30)
        let signed = try json(["hss", "sign", "--key", "k.hss", "--reserve", "5"])
        #expect(signed["remainingLeaves"] as? Int == 0)
        let exhausted = try arbor.run(["hss", "sign", "--key", "k.hss"], input: "one too many")
        CustodyTest.expectError(exhausted, status: 2, mentioning: "exhausted", "32")
        #expect(exhausted.stdout.isEmpty)

        // Without its state file a key refuses to sign; recreating it needs an explicit leaf.
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--height", "5", "--winternitz", "8", "-o", "lost.hss"]))
        try FileManager.default.removeItem(atPath: arbor.path("lost.hss.state"))
        CustodyTest.expectError(try arbor.run(["hss", "sign", "--key", "lost.hss"], input: "m"), status: 6, mentioning: "does not exist")
        CustodyTest.expectError(try arbor.run(["hss", "burn", "--key", "lost.hss", "--recreate-state"]), status: 2, mentioning: "--to")
        // Recreating it at leaf 0 would reuse every leaf the key has used.
        CustodyTest.expectError(
            try arbor.run(["hss", "burn", "--key", "lost.hss", "--recreate-state", "--to", "0"]), status: 3, mentioning: "leaf 0")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("lost.hss.state")))
        #expect(try json(["hss", "burn", "--key", "lost.hss", "--recreate-state", "--to", "20"])["nextLeaf"] as? Int == 20)
        let after = try json(["hss", "sign", "--key", "lost.hss"])
        #expect(try #require(after["signatures"] as? [[String: Any]]).first?["leaf"] as? Int == 20)
        // A damaged state is refused, never guessed.
        var state = try Data(contentsOf: URL(fileURLWithPath: arbor.path("lost.hss.state")))
        state[30] ^= 0xFF
        try state.write(to: URL(fileURLWithPath: arbor.path("lost.hss.state")))
        CustodyTest.expectError(try arbor.run(["hss", "sign", "--key", "lost.hss"], input: "m"), status: 5, mentioning: "checksum")
        // Another key's state file, valid in itself, is refused (3, conflict): its counter is not this key's.
        try FileManager.default.removeItem(atPath: arbor.path("lost.hss.state"))
        try FileManager.default.copyItem(atPath: arbor.path("k.hss.state"), toPath: arbor.path("lost.hss.state"))
        CustodyTest.expectError(try arbor.run(["hss", "sign", "--key", "lost.hss"], input: "m"), status: 3, mentioning: "another key")
        CustodyTest.expectError(try arbor.run(["hss", "burn", "--key", "lost.hss", "--leaves", "1"]), status: 3, mentioning: "another key")
    }
}
