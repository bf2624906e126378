import ArborClient
import ArborCore
import ArborE2EE
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

struct ChatSignUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signup",
        abstract: "Create an account on the node and print its recovery code, once.",
        discussion: """
            The keys are made here; the node receives only the password's salt and rounds, a login public key, the \
            wrapped keys and the identity's public keys. Write the recovery code down: with it, 'arbor chat recover' \
            sets a new password. Losing both the password and the code loses the account's messages, by design.
            """
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        let identity: IdentityOutput
        let recoveryCode: [String]
    }

    static let lossWarning =
        "Losing both the password and the recovery code loses this account's messages for good: nobody, not the node's operator either, can open them."

    func run() async throws {
        let password = try account.password(confirm: true)
        // Said before the account is made, on stderr so that --json output stays clean.
        FileHandle.standardError.write(Data((Self.lossWarning + "\n").utf8))
        let signUp = try await account.client().signUp(name: account.name, password: password, device: account.device)
        let identity = IdentityOutput(await signUp.session.identity)
        try? await signUp.session.signOut()
        let groups = signUp.recoveryCode.groups
        try output.emit(
            Result(identity: identity, recoveryCode: groups),
            human: """
                account \(account.name) created (\(identity.account))
                \(identity.safetyNumber.text)

                recovery code (shown this once; write it down and keep it apart from the password):
                    \(groups.joined(separator: "\n    "))
                """)
    }
}

struct ChatSignInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signin",
        abstract: "Check the password: sign in, open the account's keys, check them against the node's record, sign out."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let identity = try await account.withSession { IdentityOutput(await $0.identity) }
        try output.emit(
            identity, human: "signed in as \(identity.name); the identity keys match the node's record\n\(identity.safetyNumber.text)")
    }
}

struct ChatWhoisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whois",
        abstract: "Show an account's identity and safety number, to compare with its owner in person or on a call.",
        discussion: "A different number means the node handed out other keys for that name: do not write to it."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The account name to look up.")
    var other: String

    func run() async throws {
        let identity = try await account.withSession { IdentityOutput(try await $0.identity(named: other)) }
        try output.emit(identity, human: identity.text)
    }
}

struct ChatPasswordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password",
        abstract: "Change the password: the master key is wrapped again; nothing else changes, every message stays readable."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Option(
        name: .customLong("new-password-file"),
        help: ArgumentHelp("Read the new password from this file's first line instead of the terminal.", valueName: "file"))
    var newPasswordFile: String?

    struct Result: Encodable { let name: String; let changed: Bool }

    func run() async throws {
        try await account.withSession { session in
            let new = try (newPasswordFile.map(PassphraseSource.file) ?? .terminalNaming(option: "--new-password-file"))
                .read(prompt: "New password: ", confirm: newPasswordFile == nil)
            try await session.changePassword(to: new)
        }
        try output.emit(Result(name: account.name, changed: true), human: "password of \(account.name) changed")
    }
}

struct ChatRecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Set a new password with the recovery code shown at sign-up (the old password is not needed).",
        discussion: """
            The code opens the master key here; the account's identity signs the node's challenge and the new login \
            key. The code's 18 words come from --recovery-code-file or the terminal. The new password comes from \
            --password-file or the terminal.
            """
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Option(
        name: .customLong("recovery-code-file"),
        help: ArgumentHelp("Read the recovery code (18 words) from this file instead of the terminal.", valueName: "file"))
    var recoveryCodeFile: String?

    struct Result: Encodable { let name: String; let recovered: Bool }

    func run() async throws {
        // The whole file: the code is written in six lines of three words.
        let typed =
            try recoveryCodeFile.map { try SecureFile.readSecret($0, what: "the recovery code") }
            ?? PassphraseSource.terminalNaming(option: "--recovery-code-file").read(prompt: "Recovery code: ")
        let code = try RecoveryCode(parsing: typed.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
        let password = try account.password(confirm: account.passwordFile == nil)
        let session = try await account.client().recover(name: account.name, code: code, newPassword: password, device: account.device)
        try? await session.signOut()
        try output.emit(Result(name: account.name, recovered: true), human: "\(account.name) recovered: the new password is set")
    }
}

struct ChatDevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the account's signed-in devices."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let devices = try await account.withSession { try await $0.devices() }
        try output.emit(
            devices, human: devices.map { "\($0.device)  \($0.name)\($0.current ? "  (this command)" : "")" }.joined(separator: "\n"))
    }
}
