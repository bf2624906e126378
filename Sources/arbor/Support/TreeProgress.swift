import ArborCustody
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How far a hash-based key's tree computation has got, on one line of standard error that is
/// rewritten at most four times a second. Only for a person watching: nil (silent) when standard
/// error is not a terminal or the output is JSON.
final class TreeProgress: Sendable {
    private let label: String
    private let lastShown = Mutex<ContinuousClock.Instant?>(nil)

    private init(label: String) { self.label = label }

    static func onTerminal(_ label: String, json: Bool) -> TreeProgress? {
        guard !json, isatty(STDERR_FILENO) == 1 else { return nil }
        return TreeProgress(label: label)
    }

    /// The callback ArborCustody calls (one call at a time, from its worker threads).
    var callback: LMSTreeProgress { { [self] done, total in show(done: done, of: total) } }

    private func show(done: Int, of total: Int) {
        lastShown.withLock { last in
            let now = ContinuousClock.now
            if done < total, let shown = last, now - shown < .milliseconds(250) { return }
            last = now
            let line = "\r\(label): \(done) / \(total) leaves (\(total > 0 ? done * 100 / total : 100)%)" + (done >= total ? "\n" : "")
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// Says on standard error why an HSS key's tree cache was not used or written.
let hssNotice: @Sendable (String) -> Void = { text in
    FileHandle.standardError.write(Data("arbor: warning: \(text)\n".utf8))
}
