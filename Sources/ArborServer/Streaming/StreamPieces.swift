import Hummingbird
import NIOCore

/// Reads a request body in pieces of `size` bytes (the last may be shorter), never the whole
/// body. NIO hands over up to 64 KiB at a time; the age stream seals or opens a piece's 64 KiB
/// chunks on all cores, so a larger piece goes faster, while memory stays near two pieces per
/// stream. A larger buffer from the body is cut, so a piece never exceeds `size`.
///
/// The next piece is read while the caller works on the one it has: without that, the
/// connection would stall each time NIO's small buffer of the body filled during the work.
struct StreamPieces {
    static let defaultSize = 1 << 20

    private let reader: PieceReader
    private var readAhead: Task<[UInt8]?, any Error>?

    init(_ body: RequestBody, size: Int = StreamPieces.defaultSize) {
        reader = PieceReader(body, size: size)
    }

    /// The next piece (at least one byte); nil once the body has ended.
    mutating func next() async throws -> [UInt8]? {
        let reader = reader
        let current = readAhead ?? Task { try await reader.read() }
        let piece = try await withTaskCancellationHandler {
            try await current.value
        } onCancel: {
            current.cancel()
        }
        readAhead = piece == nil ? nil : Task { try await reader.read() }
        return piece
    }

    /// Stops reading ahead: for a caller that gives up before the end of the body.
    func cancel() {
        readAhead?.cancel()
    }
}

/// The body's iterator, read one piece at a time from whichever task asks.
private actor PieceReader {
    private var iterator: RequestBody.AsyncIterator
    private let size: Int
    private var rest = ByteBuffer()
    private var ended = false

    init(_ body: RequestBody, size: Int) {
        iterator = body.makeAsyncIterator()
        self.size = size
    }

    /// `StreamPieces` asks for one piece at a time, so the iterator taken out here is the only one
    /// in use until it is put back.
    func read() async throws -> [UInt8]? {
        var iterator = self.iterator
        defer { self.iterator = iterator }
        var piece: [UInt8] = []
        piece.reserveCapacity(size)
        while piece.count < size {
            if rest.readableBytes == 0 {
                guard !ended, let buffer = try await iterator.next(isolation: #isolation) else {
                    ended = true
                    break
                }
                rest = buffer
            }
            let taken = min(rest.readableBytes, size - piece.count)
            piece.append(contentsOf: rest.readableBytesView.prefix(taken))
            rest.moveReaderIndex(forwardBy: taken)
        }
        return piece.isEmpty ? nil : piece
    }
}
