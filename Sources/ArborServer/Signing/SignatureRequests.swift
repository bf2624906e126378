import ArborCore
import Hummingbird

/// The body of `POST /v1/sign`: the bytes to sign, in base64.
struct SignRequest: Decodable {
    let input: String
    /// Refused unless empty: a detached signature covers its content alone (docs/formats.md,
    /// "Detached signatures"), so a context would not be bound; a caller folds it into the input.
    let context: String?
}

/// The body of `POST /v1/verify`: the signed bytes in base64 and the armored signature.
struct VerifyRequest: Decodable {
    let input: String
    let signature: String
}

/// `POST /v1/sign`: the armored detached signature (what `arbor verify --signature` reads) and who
/// signed, with the chain it carries, armored too.
struct SignAnswer: Encodable, ResponseEncodable {
    let signature: String
    let signer: String
    let signerKeyID: String
    let signedAt: String
    let chain: String

    private enum CodingKeys: String, CodingKey {
        case signature, signer, chain
        case signerKeyID = "signer_key_id"
        case signedAt = "signed_at"
    }
}

/// `POST /v1/verify`: `valid`, and who signed when it is; why not (`error`) when it is not.
struct VerifyAnswer: Encodable, ResponseEncodable {
    let valid: Bool
    var signer: String?
    var signerKeyID: String?
    var signedAt: String?
    var error: ErrorBody.Detail?

    private enum CodingKeys: String, CodingKey {
        case valid, signer, error
        case signerKeyID = "signer_key_id"
        case signedAt = "signed_at"
    }
}
