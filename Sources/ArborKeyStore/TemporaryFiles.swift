import ArborCore
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The temporary files of the `AtomicOutputFile`s not yet committed or abandoned, named
/// `.arbor-tmp-*`, so that a process ended by a signal removes them: one may hold plaintext that
/// was decrypted but not yet complete.
///
/// A process opts in with `removeOnTermination()`. The signals are then received by Dispatch
/// signal sources, on a queue, not in a signal handler, so the cleanup may take the lock and call
/// `unlink`. After SIGKILL (or a power cut) nothing runs: a `.arbor-tmp-*` file can remain in the
/// output's directory and is safe to delete.
public enum TemporaryFiles {
    /// The name every temporary file starts with, for cleanup by hand.
    public static let prefix = ".arbor-tmp-"

    private struct Registry {
        var paths: Set<String> = []
        var terminating = false
    }

    private static let registry = Mutex(Registry())
    /// The signal sources, kept alive for the life of the process.
    private static let sources = Mutex<[Int32: any DispatchSourceSignal]>([:])
    private static let queue = DispatchQueue(label: "arbor.temporary-files.signals")

    /// Creates `path` (exclusively) and records it, under the lock, so that a termination under
    /// way never misses it. Returns the descriptor, or -1 with `errno` set.
    static func create(_ path: String, permissions: mode_t) -> Int32 {
        registry.withLock { registry in
            guard !registry.terminating else {
                errno = EINTR
                return -1
            }
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
            if descriptor >= 0 { registry.paths.insert(path) }
            return descriptor
        }
    }

    /// Forgets `path`: it was renamed into place, or removed.
    static func forget(_ path: String) {
        _ = registry.withLock { $0.paths.remove(path) }
    }

    /// Removes every temporary file still open, and refuses new ones from now on.
    public static func removeAll() {
        registry.withLock { registry in
            registry.terminating = true
            for path in registry.paths { unlink(path) }
            registry.paths = []
        }
    }

    /// On SIGINT, SIGTERM and SIGHUP: removes the temporary files, then ends the process by the
    /// same signal, as if it had not been caught. Signals the process ignores (started under
    /// `nohup`, say) are left alone. Call it before creating the files; calling it again is harmless.
    public static func removeOnTermination(signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]) {
        sources.withLock { sources in
            let registered = DispatchGroup()
            for signalNumber in signals where sources[signalNumber] == nil {
                // Dispatch receives the signal only once its default action (terminate) is off. A
                // signal the process was started ignoring (nohup) stays ignored: it ends nothing.
                let previous = signal(signalNumber, SIG_IGN)
                if let previous, unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler {
                    removeAll()
                    signal(signalNumber, SIG_DFL)
                    kill(getpid(), signalNumber)
                }
                registered.enter()
                source.setRegistrationHandler { registered.leave() }
                source.resume()
                sources[signalNumber] = source
            }
            // A signal that arrived before the sources are registered would be lost.
            registered.wait()
        }
    }
}

extension TemporaryFiles {
    /// Hands SIGINT, SIGTERM and SIGHUP back to the process: for a long-running server that
    /// shuts down gracefully on them itself (swift-service-lifecycle). The signals stay ignored
    /// until the server installs its own handling, so none ends the process on the way.
    public static func stopRemovingOnTermination() {
        sources.withLock { sources in
            for source in sources.values { source.cancel() }
            sources = [:]
        }
    }
}
