import ArborCore
import Synchronization

/// Standard input is read once, by one reader: a secret (`--passphrase-file -`, an identity `-`)
/// or the data. A second reader would find it empty, or worse take the data for the passphrase, so
/// the second claim is refused with a message that says what already holds it.
public enum StandardInput {
    private static let holder = Mutex<String?>(nil)

    /// The names that mean standard input: `-` (as age and gpg), `/dev/stdin` and its `/dev/fd/0`
    /// and `/proc/self/fd/0` spellings. Read through descriptor 0, never reopened.
    public static func isNamed(by path: String) -> Bool {
        ["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"].contains(path)
    }

    /// Takes standard input for `what` ("the passphrase", "the data"); refused if another reader has it.
    public static func claim(for what: String) throws {
        try holder.withLock { holder in
            if let holder {
                throw ArborError(
                    .invalidArgument, "standard input already carries \(holder) and cannot also carry \(what): give one of them as a file")
            }
            holder = what
        }
    }
}
