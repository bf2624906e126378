import ArborCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a passphrase comes from: the first line of a file (automation), or the terminal with
/// echo turned off.
///
/// The file may be a pipe, a FIFO or a descriptor (`<(pass show root)`, `/dev/fd/N`), and `-` or
/// `/dev/stdin` is standard input, as in gpg's `--passphrase-fd 0`: it is read once, to its end, and
/// only its first line is the passphrase (one trailing LF or CRLF removed). Standard input is never
/// read for a passphrase unless named so: without a file the passphrase is asked on the terminal
/// (`/dev/tty`, so piped data stays data, as age does), and with no terminal the command refuses
/// and says to pass `--passphrase-file -`.
public enum PassphraseSource: Sendable {
    case file(String)
    /// The terminal; with none, the error says to pass `--passphrase-file`.
    case terminal
    /// The terminal; with none, the error names this option (`--key-passphrase-file`).
    case terminalNaming(option: String)

    /// Reads the passphrase. With `confirm`, the terminal asks twice and both must match.
    public func read(prompt: String, confirm: Bool = false) throws -> SecretBytes {
        switch self {
        case .file(let path):
            // The first line, taken from wiped memory; the file is refused if others may read it.
            let contents = try SecureFile.readSecret(path, what: "the passphrase")
            let lineLength = contents.withUnsafeBytes { bytes in
                var end = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                return end
            }
            guard lineLength > 0 else {
                let name = StandardInput.isNamed(by: path) ? "standard input" : "the passphrase file '\(path)'"
                throw ArborError(.invalidArgument, "\(name) is empty; put the passphrase on its first line")
            }
            return contents.prefix(lineLength)
        case .terminal, .terminalNaming:
            let option = if case .terminalNaming(let option) = self { option } else { "--passphrase-file" }
            let first = try Self.readFromTerminal(prompt: prompt, option: option)
            if confirm {
                let second = try Self.readFromTerminal(prompt: "Repeat the passphrase: ", option: option)
                guard first == second else {
                    throw ArborError(.invalidArgument, "the two passphrases differ; run the command again")
                }
            }
            guard !first.isEmpty else { throw ArborError(.invalidArgument, "the passphrase is empty") }
            return first
        }
    }

    private static func readFromTerminal(prompt: String, option: String) throws -> SecretBytes {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else {
            throw ArborError(
                .invalidArgument,
                "no terminal to ask for the passphrase; pass \(option) FILE (or \(option) - to read it from standard input)"
            )
        }
        defer { close(tty) }
        var original = termios()
        guard tcgetattr(tty, &original) == 0 else {
            throw ArborError(.invalidArgument, "cannot turn off echo on this terminal; pass \(option) FILE")
        }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        _ = tcsetattr(tty, TCSAFLUSH, &silent)
        defer { _ = tcsetattr(tty, TCSAFLUSH, &original) }
        _ = prompt.withCString { Glibc.write(tty, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(tty, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
        }
        byte = 0
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return SecretBytes(consuming: &bytes)
    }
}
