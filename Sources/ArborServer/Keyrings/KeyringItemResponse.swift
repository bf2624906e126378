import ArborCore
import Hummingbird

/// The answer for one item: its `ciphertext` (token text) or `plaintext` (base64), or, in a
/// batch, the `error` that item met.
struct KeyringItemResponse: Encodable, ResponseEncodable {
    var ciphertext: String?
    var plaintext: String?
    var error: ErrorBody.Detail?

    static func token(_ token: MeshToken) -> Self { Self(ciphertext: token.text) }

    static func bytes(_ bytes: [UInt8]) -> Self {
        var bytes = bytes
        defer { bytes.wipe() }
        return Self(plaintext: Base64Field.encode(bytes))
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
