import ArborOperations
import Hummingbird

/// A keyring as the API shows it: identity, cipher and epochs, never a seed.
struct KeyringView: Encodable, ResponseEncodable {
    let name: String
    let owner: String
    let identifier: String
    let cipher: String
    let activeEpoch: UInt32
    let minimumEpoch: UInt32
    let epochs: [UInt32]

    init(_ summary: KeyringSummary) {
        name = summary.name
        owner = summary.owner
        identifier = summary.identifier
        cipher = summary.cipher
        activeEpoch = summary.activeEpoch
        minimumEpoch = summary.minimumEpoch
        epochs = summary.heldEpochs
    }

    private enum CodingKeys: String, CodingKey {
        case name, owner, identifier, cipher, epochs
        case activeEpoch = "active_epoch"
        case minimumEpoch = "minimum_epoch"
    }
}

/// `GET /v1/keyrings`: `{"keyrings":[…]}`.
struct KeyringList: Encodable, ResponseEncodable {
    let keyrings: [KeyringView]
}
