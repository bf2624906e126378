import Synchronization

/// What one request did, noted as it goes (the token's accessor by the authenticator, the
/// operation and keyring by the authorization, the error code by the error envelope) and written
/// as one audit entry when the answer is ready. A task-local, so the routes need not pass it on.
final class AuditTrail: Sendable {
    struct Notes: Sendable {
        var accessor: String?
        var operation: String?
        var keyring: String?
        var errorCode: String?
    }

    @TaskLocal static var current: AuditTrail?

    private let notes = Mutex(Notes())

    var snapshot: Notes { notes.withLock { $0 } }

    static func note(accessor: String) { current?.notes.withLock { $0.accessor = accessor } }

    static func note(operation: String, keyring: String?) {
        current?.notes.withLock {
            $0.operation = operation
            $0.keyring = keyring
        }
    }

    static func note(errorCode: String) { current?.notes.withLock { $0.errorCode = errorCode } }
}
