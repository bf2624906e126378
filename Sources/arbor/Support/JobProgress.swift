import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A long job's progress on one line of standard error, rewritten at most four times a second;
/// nil (silent) when standard error is not a terminal or the output is JSON.
final class JobProgress: Sendable {
    private let label: String
    private let lastShown = Mutex<ContinuousClock.Instant?>(nil)

    private init(label: String) { self.label = label }

    static func onTerminal(_ label: String, json: Bool) -> JobProgress? {
        guard !json, isatty(STDERR_FILENO) == 1 else { return nil }
        return JobProgress(label: label)
    }

    func show(lines: Int, doneBytes: Int, totalBytes: Int) {
        lastShown.withLock { last in
            let now = ContinuousClock.now
            if let shown = last, now - shown < .milliseconds(250) { return }
            last = now
            let percent = totalBytes > 0 ? doneBytes * 100 / totalBytes : 100
            FileHandle.standardError.write(Data("\r\(label): \(lines) lines (\(percent)%)".utf8))
        }
    }

    /// Ends the progress line, if one was shown.
    func end() {
        lastShown.withLock { if $0 != nil { FileHandle.standardError.write(Data("\n".utf8)) } }
    }
}
