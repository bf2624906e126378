import ArborCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A conversation on the controlling terminal (`/dev/tty`), for ceremonies that ask for secret
/// input one piece at a time, such as shares during a root recovery. Secret lines are read with
/// echo off and returned as `SecretBytes`; nothing read is ever written back.
public final class TerminalPrompt {
    private let descriptor: Int32
    private var original = termios()

    /// Opens the terminal; fails with a message naming the automation alternative.
    public init(alternative: String) throws {
        descriptor = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ArborError(.invalidArgument, "no terminal to ask on; \(alternative)")
        }
        guard tcgetattr(descriptor, &original) == 0 else {
            close(descriptor)
            throw ArborError(.invalidArgument, "this is not a terminal; \(alternative)")
        }
    }

    deinit {
        _ = tcsetattr(descriptor, TCSAFLUSH, &original)
        close(descriptor)
    }

    /// Writes a line of text for the operator.
    public func say(_ text: String) {
        let line = text + "\n"
        _ = line.withCString { Glibc.write(descriptor, $0, strlen($0)) }
    }

    /// Shows `prompt`, then reads one line without echo. Returns nil at end of input.
    public func readSecretLine(prompt: String) -> SecretBytes? {
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        _ = tcsetattr(descriptor, TCSAFLUSH, &silent)
        defer { _ = tcsetattr(descriptor, TCSAFLUSH, &original) }
        _ = prompt.withCString { Glibc.write(descriptor, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        var sawNewline = false
        while Glibc.read(descriptor, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") {
                sawNewline = true
                break
            }
            bytes.append(byte)
        }
        byte = 0
        if !sawNewline && bytes.isEmpty { return nil }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return SecretBytes(consuming: &bytes)
    }
}
