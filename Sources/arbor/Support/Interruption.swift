import ArborKeyStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Set by the first SIGINT or SIGTERM while a long job runs (see `Interruption`).
private let interruptionRequested = Atomic<Bool>(false)

/// Ctrl-C (SIGINT) or SIGTERM as a request to stop at the next safe point, for a long job that
/// saves its progress. The first signal sets `requested`; a second one ends the process at once.
///
/// A plain signal handler rather than a Dispatch source: a Dispatch signal source relies on the
/// signal being blocked in the thread it is delivered to, and the job runs on threads made before
/// it, where the signal would be discarded.
enum Interruption {
    static var requested: Bool { interruptionRequested.load(ordering: .relaxed) }

    static func catching(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        // The job's own handling replaces the one that removes temporary files and exits.
        TemporaryFiles.stopRemovingOnTermination()
        _ = requested  // the global is initialised here, never first inside the handler
        for signalNumber in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                // Async-signal-safe: a lock-free atomic, signal() and raise() only.
                if interruptionRequested.exchange(true, ordering: .relaxed) {
                    signal(signalNumber, SIG_DFL)
                    raise(signalNumber)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }
}
