import ArborClient
import ArborCore
import ArborE2EE
import ArgumentParser
import Foundation

struct ChatNewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Start a conversation with the accounts named by --with; prints its id.",
        discussion: "Check the others' safety numbers with 'arbor chat whois NAME' first: their keys come from the node."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("with"), help: ArgumentHelp("An account to add (repeat for more).", valueName: "name"))
    var with: [String] = []

    func run() async throws {
        let summary = try await account.withSession { session in
            try await ConversationOutput(try await session.createConversation(with: with)).value
        }
        try output.emit(summary, human: "conversation \(summary.conversation)\n    members: \(summary.members.joined(separator: ", "))")
    }
}

struct ChatListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List your conversations, with their members and the epoch you write in."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let conversations = try await account.withSession { session in
            var found: [ConversationOutput.Value] = []
            for id in try await session.conversationIDs() {
                found.append(try await ConversationOutput(try await session.conversation(id)).value)
            }
            return found
        }
        try output.emit(
            conversations,
            human: conversations.isEmpty
                ? "no conversations yet; start one with 'arbor chat new --with NAME'"
                : conversations.map(\.line).joined(separator: "\n"))
    }
}

struct ChatSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Encrypt, sign and send a text message."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The conversation's id (or a unique prefix).")
    var conversation: String

    @Argument(help: "The message.")
    var text: String

    struct Result: Encodable {
        let conversation: String
        let position: Int64
        let epoch: UInt32?
    }

    func run() async throws {
        let result = try await account.withSession { session in
            let opened = try await session.conversation(try await resolveConversation(conversation, in: session))
            let position = try await opened.send(text)
            return Result(conversation: opened.id.hex, position: position, epoch: await opened.writingEpoch)
        }
        try output.emit(
            result, human: "sent: message \(result.position) of \(result.conversation), epoch \(result.epoch.map(String.init) ?? "-")")
    }
}

struct ChatAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add an account to a conversation: it reads the current epoch, from before it joined too, and nothing older."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The conversation's id (or a unique prefix).")
    var conversation: String

    @Argument(help: "The account to add.")
    var member: String

    func run() async throws {
        let summary = try await account.withSession { session in
            let opened = try await session.conversation(try await resolveConversation(conversation, in: session))
            try await opened.add(member)
            return try await ConversationOutput(opened).value
        }
        try output.emit(summary, human: "added \(member)\n\(summary.line)")
    }
}

struct ChatRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove an account from a conversation: a new epoch whose key it is not given, so it reads nothing written after."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The conversation's id (or a unique prefix).")
    var conversation: String

    @Argument(help: "The account to remove.")
    var member: String

    func run() async throws {
        let summary = try await account.withSession { session in
            let opened = try await session.conversation(try await resolveConversation(conversation, in: session))
            try await opened.remove(member)
            return try await ConversationOutput(opened).value
        }
        try output.emit(summary, human: "removed \(member)\n\(summary.line)")
    }
}

/// A conversation for the listing commands.
struct ConversationOutput {
    struct Value: Encodable {
        let conversation: String
        let epoch: UInt32?
        let members: [String]
        /// Envelopes the membership did not accept: something to look into.
        let rejectedEnvelopes: [String]

        var line: String {
            var text = "\(conversation)  epoch \(epoch.map(String.init) ?? "- (removed)")  \(members.joined(separator: ", "))"
            for rejection in rejectedEnvelopes { text += "\n    warning: \(rejection)" }
            return text
        }
    }

    let value: Value

    init(_ conversation: E2EEConversation) async throws {
        value = Value(
            conversation: conversation.id.hex, epoch: await conversation.writingEpoch, members: await conversation.members.map(\.name),
            rejectedEnvelopes: await conversation.rejectedEnvelopes)
    }
}
