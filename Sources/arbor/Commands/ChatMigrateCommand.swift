import ArborClient
import ArborCore
import ArborE2EE
import ArborKeyStore
import ArborMigration
import ArgumentParser
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

struct ChatMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move a legacy plaintext chat store into your end-to-end encrypted conversations (docs/e2ee.md §15).",
        discussion: """
            Each conversation of the legacy user (--user, default --name) becomes a conversation of yours alone; each \
            message is encrypted and signed here, as an imported message keeping its legacy author and time. It runs in \
            batches, saving where it stands in the state file after each; Ctrl-C or --max-batches pauses between \
            batches, and the same command resumes. Then --verify reads everything back and compares it with the \
            original, --confirm deletes the original plaintext (only after a verification), and --rollback, until \
            then, deletes what was written. With --signup, the account is created first if the name is free (the \
            legacy user's first sign-in to the encrypted service).
            """
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Option(
        name: .customLong("legacy"),
        help: ArgumentHelp(
            "The legacy store: a SQLite database (.sqlite, .db) or a JSON export (.json). '--from' is accepted too.",
            valueName: "file"))
    var from: String

    @Option(name: .customLong("user"), help: ArgumentHelp("The legacy user whose conversations move (default: --name).", valueName: "name"))
    var user: String?

    @Option(name: .customLong("batch"), help: ArgumentHelp("Messages per batch.", valueName: "n"))
    var batch = 100

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp("The state file (default: beside the source, <source>.arbor-migration.json; 0600).", valueName: "file"))
    var state: String?

    @Option(name: .customLong("max-batches"), help: ArgumentHelp("Pause after this many batches.", valueName: "n"))
    var maxBatches: Int?

    @Flag(name: .customLong("signup"), help: "Create the account with the password first if the name is free.")
    var signup = false

    @Flag(name: .customLong("verify"), help: "Read every migrated message back and compare it with the original.")
    var verify = false

    @Flag(name: .customLong("confirm"), help: "Delete the original plaintext (after --verify found every message).")
    var confirm = false

    @Flag(name: .customLong("rollback"), help: "Delete the migrated conversations and the state (before --confirm).")
    var rollback = false

    @Flag(name: .customLong("yes"), help: "Confirm without asking (--confirm deletes the original for good).")
    var yes = false

    struct Result: Encodable {
        var mode: String
        var status: String?
        var migrated: Int?
        var total: Int?
        var written: Int?
        var paused: Bool?
        var checked: Int?
        var mismatched: [String]?
        var state: String
        var recoveryCode: [String]?
    }

    func validate() throws {
        guard [verify, confirm, rollback].filter({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --verify, --confirm and --rollback")
        }
        guard batch > 0 else { throw ValidationError("--batch is at least 1") }
        guard maxBatches.map({ $0 > 0 }) ?? true else { throw ValidationError("--max-batches is at least 1") }
    }

    func run() async throws {
        let source = try LegacyStoreFile.open(from)
        let stateFile = state.map(MigrationStateFile.init(path:)) ?? MigrationStateFile(beside: from)
        let password = try account.password()
        var recoveryCode: [String]?
        let session: E2EESession
        if signup, let created = try await signUpIfFree(password: password) {
            session = created.session
            recoveryCode = created.recoveryCode.groups
            if !output.json { print(recoveryCodeText(created.recoveryCode.groups)) }
        } else {
            session = try await account.client().signIn(name: account.name, password: password, device: account.device)
        }
        let migration = try await session.plaintextMigration(
            from: source, stateFile: stateFile, participant: user ?? account.name, password: password)
        var result = Result(mode: "migrate", state: stateFile.path, recoveryCode: recoveryCode)
        do {
            if verify {
                try await runVerify(migration, into: &result)
            } else if confirm {
                try runConfirm(migration, into: &result)
            } else if rollback {
                try await migration.rollback()
                result.mode = "rollback"
                try output.emit(
                    result, human: "rolled back: the migrated conversations and \(stateFile.path) are deleted; \(from) is unchanged")
            } else {
                try await runMigration(migration, into: &result)
            }
        } catch {
            try? await session.signOut()
            throw error
        }
        try? await session.signOut()
    }

    /// Sign-up when the name is free; nil when it is taken (the account exists: sign in).
    private func signUpIfFree(password: SecretBytes) async throws -> ArborE2EEClient.SignUp? {
        do {
            return try await account.client().signUp(name: account.name, password: password, device: account.device)
        } catch let error as ArborError where error.code == .conflict {
            return nil
        }
    }

    private func recoveryCodeText(_ groups: [String]) -> String {
        """
        account \(account.name) created
        recovery code (shown this once; write it down and keep it apart from the password):
            \(groups.joined(separator: "\n    "))
        """
    }

    private func runMigration(_ migration: PlaintextMigration, into result: inout Result) async throws {
        Interruption.catching([SIGINT])
        let limit = maxBatches
        let batches = BatchCounter()
        let json = output.json
        let progress = try await migration.run(
            batchSize: batch,
            shouldPause: { Interruption.requested || limit.map { batches.count >= $0 } ?? false },
            progress: { progress in
                batches.increment()
                if !json { print("migrated \(progress.migrated) of \(progress.total)") }
            })
        result.status = progress.status.rawValue
        result.migrated = progress.migrated
        result.total = progress.total
        result.written = progress.written
        result.paused = progress.status == .migrating
        let human: String =
            switch progress.status {
            case .migrating:
                "paused: \(progress.migrated) of \(progress.total) messages migrated (\(progress.written) in this run); "
                    + "run the same command again to resume"
            case .migrated:
                "migrated \(progress.migrated) of \(progress.total) messages (\(progress.written) in this run); "
                    + "next: the same command with --verify"
            case .verified: "verified already: \(progress.total) messages; next: --confirm deletes the original, or --rollback"
            case .confirmed: "confirmed already: the original plaintext is deleted"
            }
        try output.emit(result, human: human)
        if progress.status == .migrating, Interruption.requested { throw ExitCode(130) }
    }

    private func runVerify(_ migration: PlaintextMigration, into result: inout Result) async throws {
        let verification = try await migration.verify()
        result.mode = "verify"
        result.checked = verification.checked
        result.mismatched = verification.mismatched
        result.status = try migration.state().status.rawValue
        guard verification.isComplete else {
            if output.json { try output.emit(result, human: "") }
            throw ArborError(
                .authenticationFailed,
                "\(verification.mismatched.count) of \(verification.checked) legacy messages are missing or different in the "
                    + "encrypted conversations (run the migration again, or --rollback); the original is kept")
        }
        try output.emit(
            result,
            human: "verified: all \(verification.checked) messages read back and match the original; "
                + "--confirm deletes the original plaintext")
    }

    private func runConfirm(_ migration: PlaintextMigration, into result: inout Result) throws {
        // The rule (only after a verification) is the migration's; asking first spares a needless question.
        guard try migration.state().status == .verified || migration.state().status == .confirmed else {
            try migration.confirm()
            return
        }
        if !yes { try askToDelete() }
        try migration.confirm()
        result.mode = "confirm"
        result.status = MigrationState.Status.confirmed.rawValue
        try output.emit(result, human: "confirmed: the original plaintext in \(from) is deleted; nothing rolls back now")
    }

    private func askToDelete() throws {
        guard isatty(STDIN_FILENO) == 1, let tty = FileHandle(forUpdatingAtPath: "/dev/tty") else {
            throw ArborError(.invalidArgument, "no terminal to confirm deleting the original plaintext; pass --yes")
        }
        tty.write(Data("This deletes the original plaintext in \(from) for good. Type 'yes' to delete it: ".utf8))
        var answer: [UInt8] = []
        while let byte = try tty.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { answer.append(byte) }
        guard String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
            throw ArborError(.invalidArgument, "nothing deleted: the answer was not 'yes'")
        }
    }
}

/// Batches done in this run, read by the pause check (which may run on another thread).
private final class BatchCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func increment() { value.withLock { $0 += 1 } }
}
