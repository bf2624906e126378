#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Binary never goes to a terminal unless asked for by name, as in age: its bytes are unreadable
/// there, and control characters in them (an escape sequence, say) are run by the terminal.
/// Without `-o`, a terminal on standard output gets armored age files and text only; `-o -`
/// writes to standard output whatever it is.
enum TerminalOutput {
    /// Whether this output would be a terminal that binary must not reach: standard output, not
    /// named with `-o -`, and a terminal.
    static func isGuardedTerminal(output: String?) -> Bool {
        output == nil && isatty(STDOUT_FILENO) == 1
    }

    /// Text: no control characters but tab, line feed, carriage return and form feed. Bytes from
    /// 0x80 up pass (UTF-8, whatever is cut at a chunk's end).
    static func isText(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.contains { byte in
            (byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0C && byte != 0x0D) || byte == 0x7F
        }
    }
}
