import Testing

@testable import ArborServer

/// The policy language on its own: patterns, rules, and which rights cover which.
@Suite("policies")
struct PolicyTests {
    @Test(
        "keyring patterns match names with * only as a wildcard",
        arguments: [
            ("*", "anything", true), ("payments", "payments", true), ("payments", "payments-eu", false),
            ("payments-*", "payments-eu", true), ("payments-*", "payments-", true), ("payments-*", "payment", false),
            ("*-eu", "payments-eu", true), ("*-eu", "payments-us", false), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
            ("a*a*a*a*b", String(repeating: "a", count: 200), false), ("?", "x", false), ("pay.ments", "payXments", false),
        ])
    func matching(pattern: String, name: String, matches: Bool) throws {
        #expect(try KeyringPattern(pattern).matches(name) == matches)
    }

    @Test(
        "a pattern covers another only when every name of the other matches it",
        arguments: [
            ("*", "payments-*", true), ("payments-*", "payments-eu-*", true), ("payments-*", "payments-eu", true),
            ("payments-*", "*", false), ("payments-*", "pay*", false), ("a*b", "a*", false), ("*-eu", "x*-eu", false),
            ("payments", "payments", true), ("payments", "payments*", false),
        ])
    func covering(held: String, requested: String, covers: Bool) throws {
        #expect(try KeyringPattern(held).covers(try KeyringPattern(requested)) == covers)
    }

    @Test("deny by default: a rule allows its operations on its keyrings, nothing else")
    func rules() throws {
        let rule = try PolicyRule(operations: [.encrypt, .random], keyrings: [try KeyringPattern("payments-*")])
        #expect(rule.allows(.encrypt, keyring: "payments-eu"))
        #expect(!rule.allows(.encrypt, keyring: "hr"))
        #expect(!rule.allows(.encrypt, keyring: nil))
        #expect(!rule.allows(.decrypt, keyring: "payments-eu"))
        #expect(rule.allows(.random, keyring: nil))
        let token = TokenRecord(
            accessor: "a", isRoot: false, rules: [], displayName: "", createdAt: 0, expiresAt: nil, usesRemaining: nil)
        #expect(Operation.allCases.allSatisfy { !token.allows($0, keyring: "x") })
    }

    @Test("patterns refuse empty, overlong and non-printable text")
    func patternLimits() {
        for text in ["", String(repeating: "a", count: 129), "has space", "tab\t", "é"] {
            #expect(throws: NodeError(.invalidRequest, "")) { try KeyringPattern(text) }
        }
    }
}
