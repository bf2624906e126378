import Hummingbird
import NIOCore

/// Reads a request body in pieces of `size` bytes (the last may be shorter), never the whole
/// body. NIO hands over up to 64 KiB at a time; the age stream seals or opens a piece's 64 KiB
/// chunks on all cores, so a larger piece goes faster, while memory stays near one piece per
/// stream. A larger buffer from the body is cut, so a piece never exceeds `size`.
struct StreamPieces {
    static let defaultSize = 1 << 20

    private var iterator: RequestBody.AsyncIterator
    private let size: Int
    private var rest = ByteBuffer()
    private var ended = false

    init(_ body: RequestBody, size: Int = StreamPieces.defaultSize) {
        iterator = body.makeAsyncIterator()
        self.size = size
    }

    /// The next piece (at least one byte); nil once the body has ended.
    mutating func next() async throws -> [UInt8]? {
        var piece: [UInt8] = []
        piece.reserveCapacity(size)
        while piece.count < size {
            if rest.readableBytes == 0 {
                guard !ended, let buffer = try await iterator.next() else {
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
