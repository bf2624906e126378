import Foundation
import Testing

/// One forged share must not recover a chosen root: `root recover` needs the root certificate,
/// and a share that alone is a root (threshold 1) is refused unless asked for by name.
@Suite("arbor root recover refuses forged threshold-1 shares", .serialized)
struct CustodyForgedShareTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// The forger's "share": anyone makes one of any 32 bytes with a 1-of-1 split.
    func forgeShare(slip39: Bool = false) throws -> String {
        let chosenRoot = String(repeating: "42", count: 32)
        let split = try arbor.run(
            ["shares", "split", "--threshold", "1", "--shares", "1"] + (slip39 ? ["--slip39"] : []), input: chosenRoot)
        CustodyTest.expectSuccess(split)
        let share = try #require(split.stdout.split(separator: "\n").first { !$0.hasPrefix("#") })
        try arbor.write(share + "\n", to: "forged.txt")
        return String(share)
    }

    @Test("a hand-made threshold-1 share: refused without --anchor (2), as threshold 1 (2), and by the certificate (3)")
    func forgedShareIsRefused() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        try arbor.write("new passphrase\n", to: "new-pass")
        _ = try forgeShare()
        let base = ["root", "recover", "--shares-file", "forged.txt", "--passphrase-file", "new-pass", "-o", "taken.key"]

        CustodyTest.expectError(try arbor.run(base), status: 2, mentioning: "--anchor")
        CustodyTest.expectError(try arbor.run(base + ["--anchor", "root.cert"]), status: 2, mentioning: "threshold 1", "line 1")
        CustodyTest.expectError(
            try arbor.run(base + ["--anchor", "root.cert", "--unsafe-threshold-one"]), status: 3, mentioning: "another root")
        CustodyTest.expectError(try arbor.run(base + ["--unsafe-no-anchor"]), status: 2, mentioning: "threshold 1")
        CustodyTest.expectError(
            try arbor.run(base + ["--anchor", "root.cert", "--unsafe-no-anchor"]), status: 2, mentioning: "contradict")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("taken.key")))

        // Only both loudly named overrides together let it through, with a warning.
        let unsafe = try arbor.run(base + ["--unsafe-no-anchor", "--unsafe-threshold-one", "--unsafe-scrypt-log-n", "10"])
        CustodyTest.expectSuccess(unsafe)
        #expect(unsafe.stderr.hasPrefix("arbor: warning: --unsafe-no-anchor"))
    }

    @Test("a forged 1-of-1 SLIP-39 mnemonic is refused the same way")
    func forgedMnemonicIsRefused() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        _ = try forgeShare(slip39: true)
        let outcome = try arbor.run([
            "root", "recover", "--slip39", "--shares-file", "forged.txt", "--check-only", "--anchor", "root.cert",
        ])
        CustodyTest.expectError(outcome, status: 2, mentioning: "threshold 1")
    }

    @Test("root split --threshold 1 needs --unsafe-threshold-one")
    func splitThresholdOne() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let split = ["root", "split", "--root", "root.key", "--passphrase-file", "pass", "--threshold", "1", "--shares", "2", "-o", "s"]
        CustodyTest.expectError(try arbor.run(split), status: 2, mentioning: "--unsafe-threshold-one")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("s")))
        let slip39 = ["root", "split", "--root", "root.key", "--passphrase-file", "pass", "--slip39", "--groups", "1of1", "-o", "t"]
        CustodyTest.expectError(try arbor.run(slip39), status: 2, mentioning: "--unsafe-threshold-one")
        CustodyTest.expectSuccess(try arbor.run(split + ["--unsafe-threshold-one"]))
    }
}
