import Testing

@testable import ArborClient

@Suite("Server-Sent Events parser")
struct ServerSentEventParserTests {
    static let stream = Array(
        (": waiting\n\nevent: chunk\nid: 0\ndata: {\"chunk\":\"AA\",\"final\":false}\n\n"
            + "event: chunk\r\nid: 1\r\ndata: {\"chunk\":\"AB\",\r\ndata: \"final\":true}\r\n\r\n"
            + "event: seal\rdata: {\"seal\":\"AC\"}\r\r").utf8)

    static let expected = [
        ServerSentEvent(event: "chunk", id: "0", data: "{\"chunk\":\"AA\",\"final\":false}"),
        ServerSentEvent(event: "chunk", id: "1", data: "{\"chunk\":\"AB\",\n\"final\":true}"),
        // The id carries over to later events until another is given (the standard's last event id).
        ServerSentEvent(event: "seal", id: "1", data: "{\"seal\":\"AC\"}"),
    ]

    @Test("events, comments, LF, CRLF and CR line ends, multi-line data", arguments: [1, 2, 3, 7, 64, 1000])
    func parsesInPiecesOfAnySize(pieceSize: Int) throws {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        var start = 0
        while start < Self.stream.count {
            let end = min(start + pieceSize, Self.stream.count)
            events += try parser.feed(Self.stream[start..<end])
            start = end
        }
        #expect(events == Self.expected)
    }

    @Test("an event without a blank line after it is not dispatched; a line past the limit is refused")
    func incompleteAndOversized() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Array("event: chunk\nid: 3\ndata: {}\n".utf8)).isEmpty)
        #expect(try parser.feed(Array("\n".utf8)).count == 1)
        var long = ServerSentEventParser()
        #expect(throws: (any Error).self) {
            _ = try long.feed([UInt8](repeating: UInt8(ascii: "a"), count: ServerSentEventParser.maximumLine + 1))
        }
    }
}
