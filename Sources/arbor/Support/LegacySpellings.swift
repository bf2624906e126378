import ArgumentParser

/// Option names arbor used before it had one vocabulary, still accepted: each is rewritten to its
/// current name before parsing, so commands declare one name per concept and `--help` shows only
/// that one. Remove an entry once nobody uses the old spelling.
enum LegacySpellings {
    /// Old name → current name, in every command.
    static let everywhere: [String: String] = [
        "--out": "--output",
        "--store": "--trust-store",
        "--list": "--revocations",
        "--root-cert": "--anchor",
        "--unsafe-no-root-cert": "--unsafe-no-anchor",
        "--from": "--key",
        "--node-key": "--key",
        "--tree-key": "--key",
        "--key-chain": "--chain",
    ]

    /// Old name → current name, in one command only: elsewhere the old name means something else.
    static let inCommand: [[String]: [String: String]] = [
        ["rekey"]: ["--node": "--key"],
        ["root", "init"]: ["--cert": "--cert-out"],
        ["hss", "keygen"]: ["--public-key": "--public-key-out", "--request": "--request-out"],
        ["hss", "install"]: ["--public-key": "--public-key-out"],
        ["shares", "split"]: ["--passphrase-file": "--slip39-passphrase-file"],
        ["shares", "combine"]: ["--passphrase-file": "--slip39-passphrase-file"],
        // Elsewhere --from is the old --key; here it names the store a migration reads.
        ["chat", "migrate"]: ["--from": "--legacy"],
    ]

    /// The arguments (without the program name) with old names replaced; `--name=value` too.
    /// Nothing after a `--` is touched.
    static func rewrite(_ arguments: [String], root: any ParsableCommand.Type) -> [String] {
        let command = commandPath(arguments, root: root)
        var arguments = arguments
        if command == ["revoke"] || command == ["revoke", "add"] { arguments = revokeTarget(arguments) }
        let table = everywhere.merging(inCommand[command] ?? [:]) { _, specific in specific }
        var rewritten: [String] = []
        for (index, argument) in arguments.enumerated() {
            if argument == "--" {
                rewritten += arguments[index...]
                break
            }
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard let current = table[name] else {
                rewritten.append(argument)
                continue
            }
            rewritten.append(current + argument.dropFirst(name.count))
        }
        return rewritten
    }

    /// The subcommand names at the front of `arguments` (options may sit between them).
    static func commandPath(_ arguments: [String], root: any ParsableCommand.Type) -> [String] {
        var command = root
        var path: [String] = []
        for argument in arguments where !argument.hasPrefix("-") {
            guard
                let next = command.configuration.subcommands.first(where: {
                    ($0.configuration.commandName ?? "") == argument
                })
            else { continue }
            command = next
            path.append(argument)
        }
        return path
    }

    /// `revoke` used to take the revoked chain as `--chain` and the issuer's as `--key-chain`; now the
    /// revoked chain is the argument and `--chain` is the issuer's. An old `--chain` is recognised by
    /// the company it keeps (`--key-chain`, or no `--key` at all) and becomes the argument.
    private static func revokeTarget(_ arguments: [String]) -> [String] {
        let names = arguments.prefix { $0 != "--" }.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 }
        // `--key` in any spelling (`--node-key eu.key --chain eu.chain` is today's form with an old name).
        let namesKey = names.contains { (everywhere[$0] ?? $0) == "--key" }
        guard names.contains("--key-chain") || !namesKey else { return arguments }
        var rewritten: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" {
                rewritten += arguments[index...]
                break
            }
            if argument == "--chain" {
                index += 1  // The value that follows is the revoked chain, now the argument.
                continue
            }
            rewritten.append(argument.hasPrefix("--chain=") ? String(argument.dropFirst("--chain=".count)) : argument)
            index += 1
        }
        return rewritten
    }
}
