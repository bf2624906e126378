import ArborCore
import ArborOperations
import ArgumentParser

/// The command being run, as parsed: errors name the option a file came from, and a failure is
/// reported as JSON when `--json` was given, without every command passing either along.
enum Invocation {
    /// Set once by `ArborCommand.main`, after parsing and before the command runs, on the main
    /// thread; only read after that.
    nonisolated(unsafe) static var command: (any ParsableCommand)?

    static var arguments: [String] { Array(CommandLine.arguments.dropFirst()) }

    /// `--json` was given to a command that prints its results as JSON (or, when the command line
    /// did not parse, appears among the arguments).
    static var wantsJSON: Bool {
        guard let command else { return arguments.contains("--json") }
        return value(of: OutputOptions.self, in: command)?.json ?? false
    }

    /// How an error names a file: with the option that named it (`--anchor bad/root.cert`), as the
    /// user spelled it; a positional argument or a default path alone; "standard input" for none,
    /// or "-" as an argument.
    static func label(for path: String?) -> String {
        guard let path else { return "standard input" }
        guard let command, role(of: path, in: command) == .option, let option = optionSpelling(for: path) else {
            return path == "-" ? "standard input" : path
        }
        return "\(option) \(path)"
    }

    // MARK: - Reading the parsed command

    private enum Role { case option, argument }

    /// Whether `path` is the value of an `@Option` or an `@Argument` of `value` (option groups included).
    private static func role(of path: String, in value: Any) -> Role? {
        for child in Mirror(reflecting: value).children {
            let wrapper = String(describing: type(of: child.value))
            if wrapper.hasPrefix("Option<"), strings(in: child.value).contains(path) { return .option }
            if wrapper.hasPrefix("Argument<"), strings(in: child.value).contains(path) { return .argument }
            if wrapper.hasPrefix("OptionGroup<"), let group = parsedValue(of: child.value), let role = role(of: path, in: group) {
                return role
            }
        }
        return nil
    }

    /// The first value of type `T` among `value`'s option groups.
    private static func value<T>(of _: T.Type, in value: Any) -> T? {
        for child in Mirror(reflecting: value).children where String(describing: type(of: child.value)).hasPrefix("OptionGroup<") {
            guard let group = parsedValue(of: child.value) else { continue }
            if let found = group as? T { return found }
            if let found = Self.value(of: T.self, in: group) { return found }
        }
        return nil
    }

    /// The value inside an ArgumentParser property wrapper, once parsed (its `_parsedValue.value`).
    private static func parsedValue(of wrapper: Any) -> Any? {
        guard let parsed = Mirror(reflecting: wrapper).children.first(where: { $0.label == "_parsedValue" })?.value else { return nil }
        return Mirror(reflecting: parsed).children.first(where: { $0.label == "value" })?.value
    }

    private static func strings(in wrapper: Any) -> [String] {
        switch parsedValue(of: wrapper) {
        case let text as String: [text]
        case let list as [String]: list
        default: []
        }
    }

    /// The option in front of `path` on the command line: `--anchor path`, `-o path` or `--anchor=path`.
    private static func optionSpelling(for path: String) -> String? {
        let arguments = arguments
        for (index, argument) in arguments.enumerated() {
            if argument == path, index > 0, arguments[index - 1].count > 1, arguments[index - 1].hasPrefix("-") {
                return arguments[index - 1]
            }
            if argument.hasPrefix("-"), argument.hasSuffix("=" + path) { return String(argument.dropLast(path.count + 1)) }
        }
        return nil
    }
}

/// Runs `body`, which reads the file `path` (nil or "-": standard input) and parses what it holds;
/// an error it throws names the file, with the option that named it, and a content that does not
/// parse is a corrupt file (exit 5; ArborOperations' `ArborError.concerning(file:label:)`).
/// An error already named by an inner `readingFile` passes through unchanged.
func readingFile<Result>(_ path: String?, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as ArborError {
        if let named = NamedFileError.last, named.code == error.code, named.message == error.message { throw error }
        let named = error.concerning(file: path ?? "-", label: Invocation.label(for: path))
        NamedFileError.last = named
        throw named
    }
}

private enum NamedFileError {
    /// The last error `readingFile` named; the CLI runs one command on one thread.
    nonisolated(unsafe) static var last: ArborError?
}
