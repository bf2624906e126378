import Foundation
import Testing

/// One name per concept across every command (issue 10, point 2): the whole command tree, as
/// `arbor --experimental-dump-help` prints it, is checked against one list of option names, and
/// the old spellings keep working as hidden aliases.
@Suite("arbor's option vocabulary", .serialized)
struct CLIVocabularyTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// Every long option name a command may show. A new option takes a name from here, or adds one
    /// that names a new concept; a second name for a concept already here is the drift this prevents.
    static let vocabulary: Set<String> = [
        // Shared concepts (Sources/arbor/Support/OptionNames.swift).
        "output", "force", "json", "key", "chain", "anchor", "revocations", "trust-store", "root", "identity",
        "passphrase-file", "help", "version",
        // Encryption at rest of node key and keyring files.
        "encrypt", "new-passphrase-file", "key-passphrase-file",
        // Secondary outputs, named --<thing>-out.
        "chain-out", "cert-out", "public-key-out", "request-out", "transition-out",
        // Trust and verification.
        "cluster", "path-prefix", "at", "safety-number", "name", "rename", "signer-chain", "accept-ed25519", "old-chain",
        // Certificates, derivation, revocation.
        "epoch", "usage", "validity-days", "key-id", "path", "reason", "parent-ordered", "recipients",
        // Rekey over the cluster: the grace period, the root a reissue hands over to.
        "grace", "new-root", "new-anchor", "transition", "branches",
        // age.
        "recipient", "recipients-file", "passphrase", "armor", "pq", "to-node", "root-passphrase-file",
        // Keyrings and tokens.
        "keyring", "origin", "cipher", "owner", "below", "context", "sign-with", "signature", "replay-state", "replay-window",
        "attest-with",
        // Custody: shares and the root's.
        "threshold", "shares", "slip39", "groups", "group-threshold", "iteration-exponent", "extendable", "no-extendable",
        "slip39-passphrase-file", "unsafe-threshold-one", "shares-file", "unsafe-no-anchor", "check-only",
        // HSS.
        "levels", "node", "height", "winternitz", "hex", "request", "delegation", "public-key", "reserve", "batch", "to",
        "leaves", "recreate-state", "pause-after",
        // Audit, demo, serve, bench.
        "head", "keep", "dev", "dev-root-token", "config", "data", "listen", "log-level", "tls-cert", "tls-key",
        "tls-min-version", "json-body-bytes", "random-bytes", "batch-items", "idle-timeout-seconds", "header-bytes",
        "requests-per-second", "request-burst", "failed-auth-per-second", "failed-auth-burst", "scale", "size-mib", "piece-kib",
        "chunks-per-batch",
        "no-rss",
        // The cluster (arbor serve --etcd, --peer-address, arbor cluster).
        "etcd", "advertise", "peer-address",
        // End-to-end encrypted applications' data on PostgreSQL (arbor serve --e2ee-database).
        "e2ee-database",
        // Enrollment (docs/cluster.md, "Enrollment").
        "enroll", "parent", "bundle", "code", "trust", "expires-in",
        // End-to-end encrypted conversations (arbor chat; --node and --name above).
        "password-file", "new-password-file", "recovery-code-file", "with", "follow", "chunks", "interval", "size",
        // Migration of a legacy plaintext store (arbor chat migrate; --batch above).
        "legacy", "user", "state", "max-batches", "signup", "verify", "confirm", "rollback", "yes",
    ]

    /// Old names that must not be shown by any command (they are hidden aliases now).
    static let retired: Set<String> = [
        "out", "store", "list", "root-cert", "unsafe-no-root-cert", "node-key", "from", "tree-key", "key-chain", "cert",
    ]

    /// Commands that print a stream or a file format rather than a structured result: no --json.
    static let streams: Set<String> = [
        "arbor encrypt", "arbor decrypt", "arbor keygen", "arbor keyring seal", "arbor keyring open",
        "arbor serve",
    ]

    @Test("every visible option is in the one vocabulary; no retired name is shown")
    func namesComeFromTheVocabulary() throws {
        defer { arbor.remove() }
        for command in try commands() {
            for name in command.visibleLongNames {
                #expect(Self.vocabulary.contains(name), "\(command.path): --\(name) is not in the vocabulary")
                #expect(!Self.retired.contains(name), "\(command.path): --\(name) is a retired name")
            }
        }
    }

    @Test("every command that writes a file with --output has --force; every structured result has --json")
    func forceAndJSON() throws {
        defer { arbor.remove() }
        let all = try commands()
        #expect(all.count > 40, "the command tree was not read: \(all.count) commands")
        for command in all {
            let names = command.visibleLongNames
            if names.contains("output") { #expect(names.contains("force"), "\(command.path) writes --output but has no --force") }
            if command.runs, !Self.streams.contains(command.path) {
                #expect(names.contains("json"), "\(command.path) prints a result but has no --json")
            }
            #expect(!names.contains("json") || !Self.streams.contains(command.path), "\(command.path) is listed as a stream")
        }
    }

    @Test("the concepts use their chosen names: -o/--output, --key/--chain, --revocations, --anchor, --trust-store")
    func conceptsUseTheirNames() throws {
        defer { arbor.remove() }
        let all = Dictionary(uniqueKeysWithValues: try commands().map { ($0.path, $0) })
        func expectNames(_ path: String, _ expected: [String]) {
            guard let command = all[path] else {
                Issue.record("no command \(path)")
                return
            }
            for name in expected { #expect(command.visibleLongNames.contains(name), "\(path) lacks --\(name)") }
        }
        for path in ["arbor derive", "arbor cert issue", "arbor root init", "arbor sign", "arbor trust export", "arbor keygen"] {
            expectNames(path, ["output", "force"])
            #expect(all[path]?.shortNames.contains("o") == true, "\(path) lacks -o")
        }
        for path in ["arbor sign", "arbor cert issue", "arbor revoke add", "arbor rekey", "arbor serve init", "arbor hss keygen"] {
            expectNames(path, ["key", "chain"])
        }
        expectNames("arbor derive", ["key"])
        expectNames("arbor keyring create", ["key"])
        expectNames("arbor decrypt", ["key", "identity"])
        expectNames("arbor encrypt", ["key"])
        for path in ["arbor revoke add", "arbor rekey", "arbor cert verify", "arbor verify", "arbor trust export", "arbor hss verify"] {
            expectNames(path, ["revocations"])
        }
        for path in ["arbor cert verify", "arbor cert issue", "arbor trust export", "arbor root recover", "arbor audit verify"] {
            expectNames(path, ["anchor"])
        }
        for path in ["arbor trust import", "arbor trust list", "arbor cert verify", "arbor verify", "arbor encrypt"] {
            expectNames(path, ["trust-store"])
        }
    }

    @Test("old spellings still work: --out, --from, --root-cert, --list, --key-chain, --store, revoke --chain, --out=FILE")
    func oldSpellingsStillWork() throws {
        defer { arbor.remove() }
        let pass = ["--passphrase-file", "pass"]
        #expect(
            try arbor.run(["root", "init", "--out", "old.key", "--cert", "old.cert", "--unsafe-scrypt-log-n", "10"] + pass).status == 0)
        #expect(FileManager.default.fileExists(atPath: arbor.path("old.cert")))
        #expect(try arbor.run(["derive", "eu", "--root", "old.key", "--out=eu.key"] + pass).status == 0)
        #expect(try arbor.run(["derive", "eu/node-7", "--from", "eu.key", "--out", "node-7.key"]).status == 0)
        let issue = ["cert", "issue", "--root", "old.key", "--root-cert", "old.cert"] + pass
        #expect(try arbor.run(issue + ["eu", "--out", "eu.chain"]).status == 0)
        #expect(try arbor.run(issue + ["eu/node-7", "--out", "node-7.chain"]).status == 0)
        #expect(try arbor.run(issue + ["eu/node-8", "--out", "node-8.chain"]).status == 0)

        // revoke's old shape: the revoked chain as --chain, the issuer's as --key-chain.
        let byRoot = try arbor.run(["revoke", "--chain", "node-7.chain", "--root", "old.key", "--list", "old.crl"] + pass)
        #expect(byRoot.status == 0, "\(byRoot.stderr)")
        let byNode = try arbor.run(
            ["revoke", "--key", "eu.key", "--key-chain", "eu.chain", "--chain", "node-8.chain", "--list", "old.crl"])
        #expect(byNode.status == 0, "\(byNode.stderr)")
        let verify = try arbor.run(["cert", "verify", "node-7.chain", "--root-cert", "old.cert", "--list", "old.crl"])
        #expect(verify.status == 3, "\(verify.stderr)")
        #expect(verify.stderr.contains("revoked"))
        let listed = try arbor.run(["revoke", "list", "old.crl", "--json"])
        #expect((try arbor.json(listed) as? [[String: Any]])?.count == 2, "\(listed.stdout)")

        let export = try arbor.run(["trust", "export", "--root-cert", "old.cert", "--name", "old", "--out", "old.bundle"])
        #expect(export.status == 0, "\(export.stderr)")
        let safety = try #require(try arbor.json(try arbor.run(["fingerprint", "old.bundle", "--json"])) as? [String: Any])
        let digits = try #require((safety["safetyNumber"] as? [String: Any])?["digits"] as? String)
        let imported = try arbor.run(["trust", "import", "old.bundle", "--safety-number", digits, "--store", "old-store"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try arbor.run(["trust", "list", "--store", "old-store"]).stdout.contains("old"))
    }

    @Test("the new spellings: revoke CHAIN --key --chain --revocations; rekey and serve init --key --chain; --force replaces")
    func newSpellings() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let pass = ["--passphrase-file", "pass"]
        #expect(try arbor.run(["derive", "eu", "--root", "root.key", "-o", "eu.key"] + pass).status == 0)
        let issue = ["cert", "issue", "--root", "root.key", "--anchor", "root.cert"] + pass
        #expect(try arbor.run(issue + ["eu", "-o", "eu.chain"]).status == 0)
        #expect(try arbor.run(issue + ["eu/node-7", "--output", "node-7.chain"]).status == 0)
        #expect(try arbor.run(["derive", "eu/node-7", "--key", "eu.key", "-o", "node-7.key"]).status == 0)

        let again = try arbor.run(["derive", "eu/node-7", "--key", "eu.key", "-o", "node-7.key"])
        #expect(again.status == 6)
        #expect(again.stderr.contains("already exists"))
        #expect(try arbor.run(["derive", "eu/node-7", "--key", "eu.key", "-o", "node-7.key", "--force"]).status == 0)

        let rekey = try arbor.run(["rekey", "--key", "node-7.key", "--chain", "node-7.chain", "--json"])
        #expect(rekey.status == 0, "\(rekey.stderr)")
        #expect((try arbor.json(rekey) as? [String: Any])?["epoch"] as? Int == 1)

        let revoke = try arbor.run(["revoke", "node-7.chain", "--key", "eu.key", "--chain", "eu.chain", "--revocations", "eu.crl"])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        // Today's shape with an old name for --key is still today's shape (--chain is the issuer's).
        let mixed = try arbor.run(["revoke", "node-7.chain", "--node-key", "eu.key", "--chain", "eu.chain", "--revocations", "eu.crl"])
        #expect(mixed.status == 0 && mixed.stdout.contains("already revoked"), "\(mixed.stderr)")
        let verify = try arbor.run(["cert", "verify", "node-7.chain", "--anchor", "root.cert", "--revocations", "eu.crl"])
        #expect(verify.status == 3)

        let sign = try arbor.run(["sign", "--key", "eu.key", "--chain", "eu.chain", "-o", "x.sig", "--json"], input: Data("x".utf8))
        #expect(sign.status == 0, "\(sign.stderr)")
        #expect((try arbor.json(sign) as? [String: Any])?["signer"] as? String == "eu")

        let initialized = try arbor.run(["serve", "init", "--data", "data", "--key", "eu.key", "--chain", "eu.chain", "--json"])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let node = try #require(try arbor.json(initialized) as? [String: Any])
        #expect(node["node"] as? String == "eu" && (node["rootToken"] as? String)?.hasPrefix("arb_") == true, "\(node)")
    }

    @Test("help paragraphs are not hard-wrapped: ArgumentParser wraps them to the terminal")
    func helpIsNotHardWrapped() throws {
        defer { arbor.remove() }
        for command in try commands() {
            let lines = command.discussion.split(separator: "\n", omittingEmptySubsequences: false)
            for (line, next) in zip(lines, lines.dropFirst()) {
                // A long prose line that stops mid-sentence, followed by more prose, is a hard wrap;
                // indented lines are examples and lists, kept as written.
                let prose = { (text: Substring) in !text.isEmpty && !text.hasPrefix(" ") && !text.hasPrefix("Example") }
                let midSentence = line.count > 60 && !line.hasSuffix(".") && !line.hasSuffix(":") && !line.hasSuffix(")")
                #expect(!(prose(line) && prose(next) && midSentence), "\(command.path): '\(line)' / '\(next)'")
            }
        }
    }

    // MARK: - The command tree

    struct Command {
        let path: String
        let runs: Bool
        let visibleLongNames: Set<String>
        let shortNames: Set<String>
        let discussion: String
    }

    /// Every command and its visible options, from `--experimental-dump-help`.
    func commands() throws -> [Command] {
        let dump = try arbor.run(["--experimental-dump-help"])
        guard dump.status == 0 else { throw ArborExecutable.SetupFailed(description: "dump-help failed: \(dump.stderr)") }
        let tool = try JSONDecoder().decode(ToolInfo.self, from: Data(dump.stdout.utf8))
        var found: [Command] = []
        func walk(_ info: CommandInfo, path: String) {
            let options = (info.arguments ?? []).filter { $0.shouldDisplay && $0.kind != "positional" }
            let names = options.flatMap { $0.names ?? [] }
            let hasOwnArguments = (info.arguments ?? []).contains { argument in
                argument.shouldDisplay && !(argument.names ?? []).contains { $0.name == "help" || $0.name == "version" }
            }
            let subcommands = (info.subcommands ?? []).filter { $0.commandName != "help" }
            found.append(
                Command(
                    path: path, runs: subcommands.isEmpty || hasOwnArguments,
                    visibleLongNames: Set(names.filter { $0.kind == "long" }.map(\.name)),
                    shortNames: Set(names.filter { $0.kind == "short" }.map(\.name)), discussion: info.discussion ?? ""))
            for subcommand in subcommands { walk(subcommand, path: path + " " + subcommand.commandName) }
        }
        walk(tool.command, path: tool.command.commandName)
        return found
    }

    struct ToolInfo: Decodable { let command: CommandInfo }

    struct CommandInfo: Decodable {
        let commandName: String
        let discussion: String?
        let subcommands: [CommandInfo]?
        let arguments: [ArgumentInfo]?
    }

    struct ArgumentInfo: Decodable {
        let kind: String
        let shouldDisplay: Bool
        let names: [NameInfo]?
    }

    struct NameInfo: Decodable {
        let kind: String
        let name: String
    }
}
