import ArborSeal
import Hummingbird
import Logging
import NIOCore

/// `POST /v1/keyrings/:name/stream/encrypt`: the request body sealed to one recipient (the
/// keyring's `arbor-mesh` stanza) as an age v1 file, written while the body is still being read.
/// Nothing about the input can fail, so the 200 goes out at once; only the connection can break.
enum StreamEncryption {
    static func response(body: RequestBody, to recipient: AgeRecipient, armored: Bool, logger: Logger) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: armored ? "text/plain; charset=utf-8" : "application/octet-stream"],
            body: ResponseBody { writer in
                do {
                    var pieces = StreamPieces(body)
                    var encryptor = try AgeEncryptor(recipients: [recipient], armored: armored)
                    while let piece = try await pieces.next() {
                        try await writer.writeNonEmpty(try encryptor.update(piece))
                    }
                    try await writer.writeNonEmpty(try encryptor.finish())
                    try await writer.finish(nil)
                } catch {
                    // The status is already sent: ending the connection is the only way to say so.
                    logger.warning("stream aborted", metadata: ["stream": "encrypt", "error.type": "\(type(of: error))"])
                    throw error
                }
            })
    }
}

extension ResponseBodyWriter {
    /// An empty body part is never written: it could read as the end of a chunked body.
    mutating func writeNonEmpty(_ bytes: some Collection<UInt8>) async throws {
        guard !bytes.isEmpty else { return }
        try await write(ByteBuffer(bytes: bytes))
    }
}
