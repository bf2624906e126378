import ArborCore
import ArborSeal
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// `POST /v1/keyrings/:name/stream/decrypt`: an age v1 file (binary or armored) opened with the
/// keyring, its plaintext written chunk by verified chunk while the file is still being read.
///
/// `start()` reads until the header is authenticated and the first plaintext has verified (or
/// the body has ended), so that a file that is not an age file, has no stanza for this keyring,
/// or is damaged at its start is a 422 JSON error before any status is sent. After that the 200
/// is out: a later failure (a modified, reordered or missing chunk) ends the connection without
/// the end of the chunked body, so the client sees a failed transfer, never a complete one. Only
/// chunks whose tag verified are ever written.
///
/// The reader and decryptor move from the handler (`start`) to the body writer (`write`): one
/// task at a time, in that order, because Hummingbird writes the body after the handler returns.
/// `bodyTaken` makes sure the body is written at most once, so the state is never shared.
final class StreamDecryption: @unchecked Sendable {
    private let keyringName: String
    private var pieces: StreamPieces
    private var decryptor: AgeDecryptor
    private var verified: [Data] = []
    private var complete = false
    private let bodyTaken = Atomic<Bool>(false)

    init(body: RequestBody, keyring: MeshKeyring) {
        keyringName = keyring.name
        pieces = StreamPieces(body)
        decryptor = AgeDecryptor(identities: [.meshKeyring(keyring)], armor: .detect)
    }

    /// Checks the header and the first chunk; throws a `NodeError` (422) for a file this keyring
    /// cannot open.
    func start() async throws {
        do {
            while verified.isEmpty, !complete {
                try await step { verified.append($0) }
            }
        } catch let error as ArborError {
            throw requestError(error)
        }
    }

    func response(logger: Logger) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/octet-stream"],
            body: ResponseBody { [self] writer in try await write(to: &writer, logger: logger) })
    }

    private func write(to writer: inout any ResponseBodyWriter, logger: Logger) async throws {
        guard !bodyTaken.exchange(true, ordering: .acquiringAndReleasing) else {
            throw NodeError(.internalError, "the decrypted stream can be written only once")
        }
        for plaintext in verified { try await writer.writeNonEmpty(plaintext) }
        verified = []
        while !complete {
            var released: [Data] = []
            do {
                try await step { released.append($0) }
            } catch {
                // The chunks that verified before the failure are authentic; the failed one is never written.
                for plaintext in released { try await writer.writeNonEmpty(plaintext) }
                logger.warning(
                    "stream aborted", metadata: ["stream": "decrypt", "keyring": "\(keyringName)", "error": "\(Self.describe(error))"])
                throw error
            }
            for plaintext in released { try await writer.writeNonEmpty(plaintext) }
        }
        try await writer.finish(nil)
    }

    /// Feeds the next piece, or the end, to the decryptor; verified plaintext goes to `release`.
    private func step(_ release: (Data) -> Void) async throws {
        if let piece = try await pieces.next() {
            try decryptor.update(piece, plaintext: release)
        } else {
            try decryptor.finish(plaintext: release)
            complete = true
        }
    }

    private func requestError(_ error: ArborError) -> NodeError {
        switch error.code {
        case .noMatchingKey:
            NodeError(.invalidRequest, "the age file has no arbor-mesh stanza for keyring '\(keyringName)'")
        default:
            NodeError(.invalidRequest, "the body is not an age file this keyring opens: \(error.message)")
        }
    }

    /// Arbor's messages name chunks and keyrings, never bytes; anything else is named by its type.
    private static func describe(_ error: any Error) -> String {
        (error as? ArborError)?.message ?? "\(type(of: error))"
    }
}
