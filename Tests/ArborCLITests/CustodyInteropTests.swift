import Foundation
import Testing

/// Interoperability with independent implementations, both directions: the SLIP-39 reference
/// (Trezor's shamir-mnemonic) and pyhsslms (RFC 8554). A missing Python package is reported as
/// SKIPPED, never a silent pass.
@Suite("custody interop", .serialized)
struct CustodyInteropTests {
    let arbor: ArborExecutable
    static let secret = "bb54aac4b89dc868ba37d9cc21b2cece"

    init() throws { arbor = try ArborExecutable() }

    static let recoverWithReference = """
        import sys, shamir_mnemonic
        lines = [l.strip() for l in sys.stdin if l.strip() and not l.startswith("#")]
        print(shamir_mnemonic.combine_mnemonics(lines, passphrase=sys.argv[1].encode()).hex())
        """

    static let generateWithReference = """
        import sys, shamir_mnemonic
        groups = shamir_mnemonic.generate_mnemonics(2, [(2, 3), (1, 1), (3, 5)], bytes.fromhex(sys.argv[1]),
                                                    passphrase=b"TREZOR", extendable=False, iteration_exponent=0)
        # A quorum: two members of group 1 and the single member of group 2.
        print("\\n".join([groups[0][2], groups[0][0], groups[1][0]]))
        """

    @Test("SLIP-39: arbor's mnemonics recover with the reference, and the reference's with arbor")
    func slip39BothWays() throws {
        defer { arbor.remove() }
        guard CustodyTest.python(has: "shamir_mnemonic", for: "SLIP-39 interop with the reference implementation") else { return }
        try arbor.write("TREZOR\n", to: "slip39-pass")
        // Arbor → reference, with groups, a passphrase and the extendable flag.
        let split = try arbor.run(
            [
                "shares", "split", "--slip39", "--groups", "2of3,3of5", "--group-threshold", "2", "--passphrase-file", "slip39-pass",
                "--iteration-exponent", "0",
            ], input: Self.secret)
        CustodyTest.expectSuccess(split)
        let mnemonics = split.stdout.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        let quorum = [mnemonics[1], mnemonics[2], mnemonics[3], mnemonics[5], mnemonics[7]]
        try arbor.write(quorum.joined(separator: "\n") + "\n", to: "quorum.txt")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.recoverWithReference, "TREZOR"]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: arbor.path("quorum.txt")))
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let recovered = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(recovered == Self.secret + "\n")

        // Reference → arbor, non-extendable, 3 groups.
        let generated = try CustodyTest.runPython(Self.generateWithReference, [Self.secret], in: arbor.directory)
        try #require(generated.status == 0, "\(generated.errors)")
        let combined = try arbor.run(["shares", "combine", "--slip39", "--passphrase-file", "slip39-pass"], input: generated.output)
        CustodyTest.expectSuccess(combined)
        #expect(combined.stdout == Self.secret + "\n")
    }

    static let pyhsslmsSign = """
        import sys, pyhsslms
        key = pyhsslms.HssPrivateKey(levels=2, lms_type=pyhsslms.lms_sha256_m32_h5, lmots_type=pyhsslms.lmots_sha256_n32_w4)
        message = b"signed by pyhsslms"
        signature = key.sign(message)
        open("py.pub", "wb").write(key.publicKey().serialize())
        open("py.sig", "wb").write(signature)
        open("py.msg", "wb").write(message)
        """

    static let pyhsslmsVerify = """
        import sys, pyhsslms
        public = pyhsslms.HssPublicKey.deserialize(open(sys.argv[1], "rb").read())
        ok = public.verify(open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read())
        tampered = public.verify(open(sys.argv[2], "rb").read() + b"!", open(sys.argv[3], "rb").read())
        print("valid" if ok and not tampered else "INVALID")
        """

    @Test("HSS: arbor's signatures verify with pyhsslms, and pyhsslms signatures verify with arbor")
    func hssBothWays() throws {
        defer { arbor.remove() }
        guard CustodyTest.python(has: "pyhsslms", for: "HSS interop with pyhsslms") else { return }
        // Arbor → pyhsslms: a one-level key and a federated two-level one.
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--height", "5", "--winternitz", "4", "-o", "solo.hss"]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "keygen", "--levels", "2", "--height", "5", "--winternitz", "8", "-o", "top.hss"]))
        CustodyTest.expectSuccess(try arbor.makeHSSNode("node", path: "eu/node-1", winternitz: "2"))
        CustodyTest.expectSuccess(
            try arbor.run([
                "hss", "enroll", "--key", "top.hss", "--request", "node.request", "--anchor", "root.cert", "-o", "node.delegation",
            ]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "install", "--key", "node.hss", "--delegation", "node.delegation"]))
        try arbor.write("signed by arbor", to: "arbor.msg")
        CustodyTest.expectSuccess(try arbor.run(["hss", "sign", "--key", "solo.hss", "arbor.msg", "-o", "solo.sig"]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "sign", "--key", "node.hss", "arbor.msg", "-o", "node.sig"]))
        // solo.sig came from the tree cache keygen wrote; this one from a tree computed again.
        try FileManager.default.removeItem(atPath: arbor.path("solo.hss.tree"))
        CustodyTest.expectSuccess(try arbor.run(["hss", "sign", "--key", "solo.hss", "arbor.msg", "-o", "solo-uncached.sig"]))
        for (publicKey, signature) in [("solo.pub", "solo.sig"), ("solo.pub", "solo-uncached.sig"), ("top.pub", "node.sig")] {
            let verified = try CustodyTest.runPython(Self.pyhsslmsVerify, [publicKey, "arbor.msg", signature], in: arbor.directory)
            #expect(verified.output == "valid\n", "pyhsslms on \(signature): \(verified.output) \(verified.errors)")
        }

        // pyhsslms → arbor.
        let signed = try CustodyTest.runPython(Self.pyhsslmsSign, [], in: arbor.directory)
        try #require(signed.status == 0, "\(signed.errors)")
        CustodyTest.expectSuccess(try arbor.run(["hss", "verify", "--public-key", "py.pub", "py.msg", "--signature", "py.sig"]))
        try arbor.write("another message", to: "other.msg")
        CustodyTest.expectError(
            try arbor.run(["hss", "verify", "--public-key", "py.pub", "other.msg", "--signature", "py.sig"]), status: 3,
            mentioning: "does not verify")
    }
}
