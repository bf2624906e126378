import ArborClient
import ArborCore
import ArborE2EE
import ArgumentParser
import Foundation

struct ChatReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Read a conversation: each message verified and opened, or refused with the reason.",
        discussion: """
            A refused message (a changed byte or sender, a replay, messages out of order, a key that was swapped) is \
            shown as REFUSED with why, and reading goes on. Streamed replies are shown once their seal verifies. With \
            --follow, new messages are shown as they arrive, streamed replies piece by piece, until Ctrl-C.
            """
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The conversation's id (or a unique prefix).")
    var conversation: String

    @Flag(name: .customLong("follow"), help: "Keep reading: show new messages, and streamed replies as they are written.")
    var follow = false

    func run() async throws {
        try await account.withSession { session in
            let opened = try await session.conversation(try await resolveConversation(conversation, in: session))
            for warning in await opened.rejectedEnvelopes {
                FileHandle.standardError.write(Data("arbor: warning: envelope refused: \(warning)\n".utf8))
            }
            var shown = 0
            var rows: [MessageOutput] = []
            while true {
                let history = await opened.history
                for entry in history[shown...] {
                    let row = try await MessageOutput.make(entry, in: opened, live: follow && !output.json)
                    if output.json { rows.append(row) } else if !follow { print(row.textForHuman) }
                }
                shown = history.count
                guard follow else { break }
                try await Task.sleep(for: .seconds(1))
                try await opened.refresh()
            }
            if output.json { try output.emit(rows, human: "") }
        }
    }
}

struct ChatStreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Print a streamed reply piece by piece as each verifies; the last one by default.",
        discussion:
            "It ends when the sender's seal verifies (the reply is then authentic to its sender), or with the error that stopped it."
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The conversation's id (or a unique prefix).")
    var conversation: String

    @Argument(help: "The stream's message id (default: the newest stream in the conversation).")
    var message: String?

    struct Result: Encodable {
        let message: String
        let sender: String
        let pieces: [String]
        let verified: Bool
    }

    func run() async throws {
        try await account.withSession { session in
            let opened = try await session.conversation(try await resolveConversation(conversation, in: session))
            let stream: ReadMessage
            if let message {
                let id = try MessageID(hex: message)
                guard let found = await opened.history.lazy.compactMap(\.message).first(where: { $0.id == id }) else {
                    throw ArborError(.notFound, "message \(message) is not a readable message of this conversation")
                }
                stream = found
            } else {
                guard let newest = await opened.history.reversed().lazy.compactMap(\.message).first(where: { $0.kind == .stream }) else {
                    throw ArborError(.notFound, "this conversation has no streamed reply yet")
                }
                stream = newest
            }
            var pieces: [String] = []
            for try await piece in try await opened.readStream(stream.id) {
                pieces.append(piece.text)
                if !output.json { writeNow(piece.text) }
            }
            if output.json {
                try output.emit(Result(message: stream.id.hex, sender: stream.senderName, pieces: pieces, verified: true), human: "")
            } else {
                writeNow("\n(verified: sealed by \(stream.senderName))\n")
            }
        }
    }
}

struct ChatAssistantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assistant",
        abstract: "A simulated assistant: replies to the newest message with an encrypted token stream.",
        discussion: """
            No model: the reply is words of a fixed text, one chunk each, a few milliseconds apart, as a language \
            model's tokens would come. Each is encrypted and sent as it is produced; read it live with 'arbor chat \
            stream' or 'arbor chat read --follow'. The account running it is an ordinary member of the conversation.
            """
    )

    @OptionGroup var account: ChatAccountOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The conversation's id (or a unique prefix).")
    var conversation: String

    struct Result: Encodable {
        let conversation: String
        let message: String
        let chunks: UInt64
    }

    func run() async throws {
        let result = try await account.withSession { session in
            let opened = try await session.conversation(try await resolveConversation(conversation, in: session))
            let prompt = await opened.history.reversed().lazy.compactMap(\.message).first {
                $0.kind == .text && $0.sender != session.account
            }
            let stream = try await opened.startStream()
            for token in SimulatedAssistant.reply(to: prompt?.text, from: prompt?.senderName) {
                try await stream.write(token)
                if !output.json { writeNow(token) }
                try await Task.sleep(for: SimulatedAssistant.delay)
            }
            try await stream.finish()
            if !output.json { writeNow("\n") }
            return Result(conversation: opened.id.hex, message: stream.message.hex, chunks: await stream.chunkCount)
        }
        try output.emit(result, human: "(sent as stream \(result.message), \(counted(result.chunks, "chunk")), sealed)")
    }
}

/// The demo's stand-in for a language model: a fixed reply, word by word.
enum SimulatedAssistant {
    static let delay = Duration.milliseconds(30)
    static let text = """
        Thank you for your message. I am a simulated assistant: no model runs here, only a fixed text sent one word at a \
        time. Each word is encrypted with the stream's key as soon as it is produced, numbered, and sent to the node, \
        which relays it to every reader without being able to open it. When the reply is complete, I sign the whole \
        stream, so a reader knows that nothing was dropped, repeated, reordered or added on the way.
        """

    static func reply(to prompt: String?, from sender: String?) -> [String] {
        let opening = prompt.map { "\(sender ?? "You") wrote \(counted($0.split(separator: " ").count, "word")). " } ?? ""
        let words = (opening + text).split(separator: " ")
        return words.enumerated().map { $0.offset == 0 ? String($0.element) : " " + $0.element }
    }
}

/// One history entry for `arbor chat read`.
struct MessageOutput: Encodable {
    let position: Int64
    let sender: String?
    let kind: String
    let text: String?
    let epoch: UInt32?
    let missingBefore: UInt64?
    let refused: String?
    let reason: String?
    /// For a message moved from a legacy store: the author and time (Unix seconds) it recorded,
    /// vouched for by the importer (`sender`), not signed by the author.
    var legacyAuthor: String? = nil
    var legacySentAt: Int64? = nil

    var textForHuman: String {
        if let refused { return "[\(position)] REFUSED (\(refused)): \(reason ?? "")" }
        if let legacyAuthor, let legacySentAt {
            let when = Date(timeIntervalSince1970: TimeInterval(legacySentAt)).formatted(.iso8601)
            return "[\(position)] \(legacyAuthor) (imported by \(sender ?? "?"), \(when)): \(text ?? "")"
        }
        var line = "[\(position)] \(sender ?? "?")\(kind == "stream" ? " (streamed)" : ""): \(text ?? "")"
        if let missingBefore, missingBefore > 0 {
            line = "    (\(counted(missingBefore, "earlier message")) from \(sender ?? "?") never delivered)\n" + line
        }
        return line
    }

    /// Reads `entry`; a stream is read to its seal (live, piece by piece, with `live`).
    static func make(_ entry: MessageRead, in conversation: E2EEConversation, live: Bool) async throws -> MessageOutput {
        switch entry.outcome {
        case .refused(let error):
            let row = MessageOutput(
                position: entry.position, sender: nil, kind: "refused", text: nil, epoch: nil, missingBefore: nil,
                refused: error.code.description, reason: error.message)
            if live { writeNow(row.textForHuman + "\n") }
            return row
        case .read(let message):
            var text = message.text
            var refused: ArborError?
            if message.kind == .stream {
                if live { writeNow("[\(entry.position)] \(message.senderName) (streaming): ") }
                var pieces = ""
                do {
                    for try await piece in try await conversation.readStream(message.id) {
                        pieces += piece.text
                        if live { writeNow(piece.text) }
                    }
                    text = pieces
                } catch let error as ArborError {
                    refused = error
                }
                if live { writeNow(refused.map { "  (REFUSED: \($0.message))\n" } ?? "  (sealed)\n") }
            } else if live {
                writeNow("[\(entry.position)] \(message.senderName): \(message.text ?? "")\n")
            }
            let kind =
                switch message.kind {
                case .stream: "stream"
                case .imported: "imported"
                case .text: "text"
                }
            return MessageOutput(
                position: entry.position, sender: message.senderName, kind: kind, text: text, epoch: message.epoch,
                missingBefore: message.missingBefore, refused: refused.map { $0.code.description }, reason: refused?.message,
                legacyAuthor: message.imported?.author, legacySentAt: message.imported?.sentAt)
        }
    }
}

/// Writes `text` to standard output at once (no newline), for pieces shown as they come.
func writeNow(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
