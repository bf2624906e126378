import ArborClient
import ArborCore
import ArborE2EE
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "End-to-end encrypted conversations through a node: the demo of the Swift SDK (ArborClient).",
        discussion: """
            Every key step happens here, in the client: the node stores and relays ciphertext it cannot open \
            (docs/e2ee.md). Start a node ('arbor serve --dev'), then:

              arbor chat signup --name alice --password-file alice.pw
              arbor chat signup --name bob --password-file bob.pw
              arbor chat new --name alice --password-file alice.pw --with bob
              arbor chat send --name alice --password-file alice.pw CONVERSATION 'hello'
              arbor chat read --name bob --password-file bob.pw CONVERSATION

            Each command signs in with the password (600,000 rounds of PBKDF2: about a second), does its work and signs \
            out; no key is ever written to disk. The password comes from --password-file (its first line; '-' for \
            standard input) or, without it, from the terminal; never from the command line. CONVERSATION is an id from \
            'arbor chat list' (a unique prefix is enough).
            """,
        subcommands: [
            ChatSignUpCommand.self, ChatSignInCommand.self, ChatWhoisCommand.self, ChatNewCommand.self, ChatListCommand.self,
            ChatSendCommand.self, ChatReadCommand.self, ChatStreamCommand.self, ChatAddCommand.self, ChatRemoveCommand.self,
            ChatAssistantCommand.self, ChatPasswordCommand.self, ChatRecoverCommand.self, ChatDevicesCommand.self, ChatMigrateCommand.self,
        ]
    )
}

/// Where and as whom: shared by every `arbor chat` command.
struct ChatAccountOptions: ParsableArguments {
    @Option(name: .customLong("node"), help: ArgumentHelp("The node's URL.", valueName: "url"))
    var node = "http://127.0.0.1:8200"

    @Option(name: .customLong("name"), help: "Your account name on the node.")
    var name: String

    @Option(
        name: .customLong("password-file"),
        help: ArgumentHelp(
            "Read the password from the first line of this file ('-' for standard input) instead of the terminal.",
            valueName: "file"))
    var passwordFile: String?

    func client() throws -> ArborE2EEClient { try ArborE2EEClient(node: node) }

    func password(confirm: Bool = false) throws -> SecretBytes {
        try (passwordFile.map(PassphraseSource.file) ?? .terminalNaming(option: "--password-file"))
            .read(prompt: "Password for \(name): ", confirm: confirm)
    }

    /// The name this device signs in under, shown in `arbor chat devices`.
    var device: String { "arbor chat on \(ProcessInfo.processInfo.hostName)" }

    /// Signs in, runs `body`, signs out (also when `body` fails).
    func withSession<Result>(_ body: (E2EESession) async throws -> Result) async throws -> Result {
        let session = try await client().signIn(name: name, password: try password(), device: device)
        do {
            let result = try await body(session)
            try? await session.signOut()
            return result
        } catch {
            try? await session.signOut()
            throw error
        }
    }
}

/// A conversation named on the command line: its id or a unique prefix of it.
func resolveConversation(_ text: String, in session: E2EESession) async throws -> ConversationID {
    let prefix = text.lowercased()
    if prefix.count == ConversationID.size * 2 { return try ConversationID(hex: prefix) }
    guard !prefix.isEmpty, prefix.allSatisfy(\.isHexDigit) else {
        throw ArborError(.invalidArgument, "'\(text)' is not a conversation id; 'arbor chat list' shows them")
    }
    let matches = try await session.conversationIDs().filter { $0.hex.hasPrefix(prefix) }
    guard matches.count == 1 else {
        throw ArborError(
            matches.isEmpty ? .notFound : .invalidArgument,
            matches.isEmpty
                ? "no conversation of yours starts with \(prefix); 'arbor chat list' shows them"
                : "\(matches.count) conversations start with \(prefix); give more digits")
    }
    return matches[0]
}

/// An account's identity for --json.
struct IdentityOutput: Encodable {
    let name: String
    let account: String
    let safetyNumber: SafetyNumberSummary

    init(_ identity: AccountIdentity) {
        name = identity.name
        account = identity.account.hex
        safetyNumber = SafetyNumberSummary(identity.safetyNumber)
    }

    var text: String { "\(name)  account \(account)\n\(safetyNumber.text)" }
}
