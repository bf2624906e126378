import ArborCore

/// One Server-Sent Event (the WHATWG `text/event-stream` format): its type, id and data.
struct ServerSentEvent: Sendable, Equatable {
    var event: String
    var id: String?
    var data: String
}

/// Reads `text/event-stream` bytes as they arrive, in pieces cut anywhere: lines end with LF, CR
/// LF or CR; `field: value` (one optional space after the colon); a line starting with `:` is a
/// comment (the node's keep-alive); a blank line ends an event, which is dispatched if it had
/// data. Unknown fields are ignored, as the standard says.
struct ServerSentEventParser: Sendable {
    /// The longest line accepted: a chunk of 64 KiB in base64url is about 87,400 characters.
    static let maximumLine = 1 << 20

    private var line: [UInt8] = []
    private var lastWasCR = false
    private var event = ""
    private var id: String?
    private var data: [String] = []

    /// The events completed by `bytes`.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if lastWasCR {
                lastWasCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                lastWasCR = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
            default:
                guard line.count < Self.maximumLine else {
                    throw ArborError(.limitExceeded, "an event line of the node's stream is longer than \(Self.maximumLine) bytes")
                }
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return dispatch() }
        guard line[0] != UInt8(ascii: ":") else { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data": data.append(String(value))
        case "id" where !value.contains("\0"): id = String(value)
        default: break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            event = ""
            data = []
        }
        guard !data.isEmpty else { return nil }
        return ServerSentEvent(event: event.isEmpty ? "message" : event, id: id, data: data.joined(separator: "\n"))
    }
}
