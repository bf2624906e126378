import ArborCore
import ArborOperations
import Hummingbird

/// The answer for one item: its `ciphertext` (token text) or `plaintext` (base64) with, on
/// decrypt, its `origin`; or, in a batch, the `error` that item met.
struct KeyringItemResponse: Encodable, ResponseEncodable {
    var ciphertext: String?
    var plaintext: String?
    var origin: Origin?
    var error: ErrorBody.Detail?

    /// The node a decrypted token names as its origin (absent when it is unsigned), and whether
    /// its signature verified under this node's keys.
    struct Origin: Encodable {
        let path: String?
        let verified: Bool
    }

    static func token(_ token: MeshToken) -> Self { Self(ciphertext: token.text) }

    static func bytes(_ bytes: [UInt8]) -> Self {
        var bytes = bytes
        defer { bytes.wipe() }
        return Self(plaintext: Base64Field.encode(bytes))
    }

    static func opened(_ opened: OpenedToken) -> Self {
        var answer = bytes(opened.plaintext)
        answer.origin = Origin(path: opened.origin.path?.description, verified: opened.origin.verified)
        return answer
    }

    static func failure(_ error: ArborError) -> Self {
        let mapped = NodeError(arbor: error)
        return Self(error: .init(code: mapped.code.description, message: mapped.message))
    }
}

/// `{"batch_results":[…]}`, in the order of `batch_input`.
struct KeyringBatchResponse: Encodable, ResponseEncodable {
    let batchResults: [KeyringItemResponse]

    init<Output>(_ results: [Result<Output, ArborError>], _ success: (Output) -> KeyringItemResponse) {
        batchResults = results.map { result in
            switch result {
            case .success(let output): success(output)
            case .failure(let error): .failure(error)
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case batchResults = "batch_results"
    }
}
