import Foundation
import Testing

/// `arbor shares split|combine|check` through the real executable: Arbor shares and SLIP-39
/// mnemonics, groups, JSON, and errors that name the bad share's line without echoing it.
@Suite("arbor shares", .serialized)
struct SharesCLITests {
    let arbor: ArborExecutable
    static let secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

    init() throws { arbor = try ArborExecutable() }

    func split(_ arguments: [String], secret: String = secret) throws -> [String] {
        let outcome = try arbor.run(["shares", "split"] + arguments, input: secret + "\n")
        CustodyTest.expectSuccess(outcome)
        return outcome.stdout.split(separator: "\n").map(String.init)
    }

    @Test("Arbor shares: any t of n combine to the secret; fewer do not")
    func arborRoundTrip() throws {
        defer { arbor.remove() }
        let shares = try split(["--threshold", "3", "--shares", "5"])
        #expect(shares.count == 5)
        #expect(shares.allSatisfy { $0.hasPrefix("arbor-share-v1-") })
        for subset in [[0, 1, 2], [4, 2, 0], [1, 3, 4], [0, 1, 2, 3, 4]] {
            let outcome = try arbor.run(["shares", "combine"], input: subset.map { shares[$0] }.joined(separator: "\n") + "\n")
            CustodyTest.expectSuccess(outcome)
            #expect(outcome.stdout == Self.secret + "\n")
        }
        let tooFew = try arbor.run(["shares", "combine"], input: shares[0] + "\n" + shares[1] + "\n")
        CustodyTest.expectError(tooFew, status: 2, mentioning: "needs 3 distinct shares, got 2")
        // JSON carries the same values.
        let json = try arbor.run(["shares", "combine", "--json"], input: shares.prefix(3).joined(separator: "\n"))
        #expect((try arbor.json(json) as? [String: Any])?["secret"] as? String == Self.secret)
    }

    @Test("a mistyped share, or one from another split, is named by its line and never echoed")
    func badSharesAreNamedByLine() throws {
        defer { arbor.remove() }
        let shares = try split(["--threshold", "2", "--shares", "3"])
        let other = try split(["--threshold", "2", "--shares", "3"])
        // A changed digit on line 3 (line 2 is a comment and is skipped).
        var typo = Array(shares[1])
        typo[60] = typo[60] == "0" ? "1" : "0"
        let mistyped = try arbor.run(["shares", "combine"], input: shares[0] + "\n# holder 2\n" + String(typo) + "\n")
        CustodyTest.expectError(mistyped, status: 2, mentioning: "line 3", "checksum")
        #expect(!mistyped.stderr.contains(String(typo).suffix(20)))
        // A share of another split: the set identifier differs.
        let mixed = try arbor.run(["shares", "combine"], input: [shares[0], shares[1], other[2]].joined(separator: "\n"))
        CustodyTest.expectError(mixed, status: 2, mentioning: "line 3", "does not belong")
        #expect(!mixed.stderr.contains(other[2].suffix(40)))
        let garbage = try arbor.run(["shares", "combine"], input: "hello\n")
        CustodyTest.expectError(garbage, status: 2, mentioning: "line 1")
        let notHex = try arbor.run(["shares", "split", "--threshold", "2", "--shares", "3"], input: "xyz\n")
        CustodyTest.expectError(notHex, status: 2, mentioning: "hex")
        let badThreshold = try arbor.run(["shares", "split", "--threshold", "4", "--shares", "3"], input: Self.secret)
        CustodyTest.expectError(badThreshold, status: 2, mentioning: "threshold")
    }

    @Test("shares check shows each share's set and index and finds the mistyped one")
    func check() throws {
        defer { arbor.remove() }
        let shares = try split(["--threshold", "2", "--shares", "3"])
        let checked = try arbor.run(["shares", "check", "--json"], input: shares.joined(separator: "\n"))
        CustodyTest.expectSuccess(checked)
        let rows = try #require(try arbor.json(checked) as? [[String: Any]])
        #expect(rows.map { $0["index"] as? Int } == [1, 2, 3])
        #expect(Set(rows.compactMap { $0["set"] as? String }).count == 1)
        #expect(!checked.stdout.contains(shares[0].suffix(30)))
        let truncated = try arbor.run(["shares", "check"], input: shares[0] + "\n" + shares[1].dropLast(2) + "\n")
        CustodyTest.expectError(truncated, status: 2, mentioning: "line 2")
    }

    @Test("SLIP-39: a single group, and two groups with a group threshold and a passphrase")
    func slip39() throws {
        defer { arbor.remove() }
        let single = try split(["--slip39", "--threshold", "2", "--shares", "3", "--iteration-exponent", "0"])
        #expect(single.count == 3)
        #expect(single.allSatisfy { $0.split(separator: " ").count == 33 })
        let combined = try arbor.run(["shares", "combine", "--slip39"], input: single[2] + "\n" + single[0] + "\n")
        CustodyTest.expectSuccess(combined)
        #expect(combined.stdout == Self.secret + "\n")

        try arbor.write("TREZOR\n", to: "slip39-pass")
        let grouped = try split([
            "--slip39", "--groups", "2of3,1of1,3of5", "--group-threshold", "2", "--passphrase-file", "slip39-pass",
            "--iteration-exponent", "0", "--no-extendable",
        ])
        let comments = grouped.filter { $0.hasPrefix("#") }
        let mnemonics = grouped.filter { !$0.hasPrefix("#") }
        #expect(comments.count == 3)
        #expect(mnemonics.count == 9)
        // Group 2 (1 of 1) and two members of group 1, with the comment lines kept in.
        let input = [grouped[0], mnemonics[0], mnemonics[2], mnemonics[3]].joined(separator: "\n")
        let recovered = try arbor.run(["shares", "combine", "--slip39", "--passphrase-file", "slip39-pass"], input: input)
        CustodyTest.expectSuccess(recovered)
        #expect(recovered.stdout == Self.secret + "\n")
        // Without the passphrase SLIP-39 yields a different secret (it cannot tell a wrong passphrase).
        let unprotected = try arbor.run(["shares", "combine", "--slip39"], input: input)
        CustodyTest.expectSuccess(unprotected)
        #expect(unprotected.stdout != Self.secret + "\n")
        // One group alone is not enough; a mistyped word is named by line.
        let oneGroup = try arbor.run(["shares", "combine", "--slip39"], input: mnemonics[3])
        CustodyTest.expectError(oneGroup, status: 2, mentioning: "2 groups are needed")
        var words = mnemonics[0].split(separator: " ").map(String.init)
        words[5] = words[5] == "academic" ? "acid" : "academic"
        let typo = try arbor.run(["shares", "combine", "--slip39"], input: mnemonics[3] + "\n" + words.joined(separator: " "))
        CustodyTest.expectError(typo, status: 2, mentioning: "line 2")
        let usage = try arbor.run(["shares", "split", "--groups", "2of3"], input: Self.secret)
        CustodyTest.expectError(usage, status: 2, mentioning: "--slip39")
    }
}
