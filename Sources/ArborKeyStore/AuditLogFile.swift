import ArborCore
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The audit log on disk: JSON Lines appended to one 0600 file, with group commit. Callers append
/// from any number of tasks; each append returns once its line is written and fsynced, and one
/// write and one fsync serve every line that arrived while the previous batch was being synced, so
/// the log does not cap throughput. If a write fails, that append and every later one fails: the
/// chain would otherwise skip an entry (a request whose audit entry cannot be written fails, as in
/// Vault). Heads are signed in the same order as the entries. See docs/audit.md.
public final class AuditLogFile: Sendable {
    public let path: String
    private let signer: NodeKeySet
    private let descriptor: Int32
    private let queue = DispatchQueue(label: "arbor.audit-log.flush")

    private struct Pending {
        var bytes: [UInt8] = []
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }

    private struct State {
        var last: AuditEntry?
        var pending = Pending()
        var flushScheduled = false
        var failure: ArborError?
        var lastHead: AuditHead?
    }

    private let state: Mutex<State>

    /// Opens (or creates, 0600) the log and checks the whole existing chain with the node's keys,
    /// so a node never appends to a log that was tampered with while it was stopped.
    public init(path: String, signer: NodeKeySet) throws {
        self.path = path
        self.signer = signer
        var progress = try AuditChainVerifier(signer: signer.publicKeys).start()
        var last: AuditEntry?
        var lastHead: AuditHead?
        if FileManager.default.fileExists(atPath: path) {
            let (complete, torn) = try AuditLogLines.forEach(in: path) { try progress.add(line: $0) }
            _ = try progress.finish()
            last = progress.last
            lastHead = progress.lastHead
            // A line cut short by a crash was never synced, so never acknowledged: drop it.
            if torn > 0, truncate(path, off_t(complete)) != 0 {
                throw ArborError(
                    .ioFailure, "cannot drop the torn last line of the audit log '\(path)': \(String(cString: strerror(errno)))")
            }
        }
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ArborError(.ioFailure, "cannot open the audit log '\(path)': \(String(cString: strerror(errno)))")
        }
        state = Mutex(State(last: last, lastHead: lastHead))
    }

    deinit { close(descriptor) }

    /// The last entry appended (durable or not yet), for tests and status.
    public var lastEntry: AuditEntry? { state.withLock { $0.last } }
    /// The last head signed.
    public var lastHead: AuditHead? { state.withLock { $0.lastHead } }

    /// Appends one entry and returns it once it is on disk.
    @discardableResult
    public func append(
        time: Int64, requestID: String, accessor: String, operation: String, keyring: String = "", result: String, client: String
    ) async throws -> AuditEntry {
        var appended: AuditEntry?
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            do {
                appended = try state.withLock { state in
                    if let failure = state.failure { throw failure }
                    let entry = try AuditEntry.next(
                        after: state.last, time: time, requestID: requestID, accessor: accessor, operation: operation, keyring: keyring,
                        result: result, client: client)
                    state.last = entry
                    enqueue(AuditRecord.entry(entry).line, continuation: continuation, in: &state)
                    return entry
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
        return appended!
    }

    /// Signs the chain's current last entry and appends the head after every entry before it;
    /// returns it once durable, or nil for an empty log.
    @discardableResult
    public func signHead(time: Int64) async throws -> AuditHead? {
        var signed: AuditHead?
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            do {
                signed = try state.withLock { state in
                    if let failure = state.failure { throw failure }
                    guard let last = state.last else { return nil }
                    let head = try AuditHead(signing: last, time: time, with: signer)
                    state.lastHead = head
                    enqueue(AuditRecord.head(head).line, continuation: continuation, in: &state)
                    return head
                }
                if signed == nil { continuation.resume() }
            } catch {
                continuation.resume(throwing: error)
            }
        }
        return signed
    }

    private func enqueue(_ line: String, continuation: CheckedContinuation<Void, any Error>, in state: inout State) {
        state.pending.bytes += Array(line.utf8) + [UInt8(ascii: "\n")]
        state.pending.waiters.append(continuation)
        if !state.flushScheduled {
            state.flushScheduled = true
            queue.async { self.flush() }
        }
    }

    /// Writes and syncs whatever is pending, again and again until nothing is.
    private func flush() {
        while true {
            let (batch, earlierFailure) = state.withLock { state -> (Pending?, ArborError?) in
                guard !state.pending.waiters.isEmpty else {
                    state.flushScheduled = false
                    return (nil, nil)
                }
                defer { state.pending = Pending() }
                return (state.pending, state.failure)
            }
            guard let batch else { return }
            // Lines queued behind a failed write would follow an entry missing from the file.
            if let earlierFailure {
                for waiter in batch.waiters { waiter.resume(throwing: earlierFailure) }
                continue
            }
            var failure = batch.bytes.withUnsafeBufferPointer { SecureFile.writeAll($0, to: descriptor) }
            if failure == 0, fsync(descriptor) != 0 { failure = errno }
            if failure == 0 {
                for waiter in batch.waiters { waiter.resume() }
            } else {
                let error = ArborError(
                    .ioFailure,
                    "cannot write the audit log '\(path)': \(String(cString: strerror(failure))); requests fail until it is fixed")
                state.withLock { $0.failure = error }
                for waiter in batch.waiters { waiter.resume(throwing: error) }
            }
        }
    }
}
