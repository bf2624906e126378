import ArborCore
import ArborCustody

/// Verifies HSS signatures under one public key, honouring delegation revocations.
public struct HSSVerification: Sendable {
    public let publicKey: HSSPublicKey
    /// How the public key is named in messages (its file).
    public let publicKeyName: String
    public let revocations: [HSSDelegationRevocation]

    /// Refuses a revocation of another HSS key: it would silently revoke nothing here.
    public init(publicKey: HSSPublicKey, named name: String, revocations: [(name: String, revocation: HSSDelegationRevocation)]) throws {
        self.publicKey = publicKey
        publicKeyName = name
        self.revocations = try revocations.map { revocationName, revocation in
            guard revocation.publicKey == publicKey else {
                throw ArborError(.invalidSignature, "'\(revocationName)' revokes a delegation of another HSS key, not of \(name)")
            }
            return revocation
        }
    }

    /// The leaf of a valid signature; `invalidSignature` (or `revoked`) otherwise. `what` names the
    /// signature in messages.
    public func verify(_ signatureBytes: [UInt8], for message: [UInt8], what: String) throws -> UInt32 {
        guard let parsed = try? HSSSignature(bytes: signatureBytes), publicKey.isValidSignature(parsed, for: message) else {
            throw ArborError(.invalidSignature, "\(what) does not verify under \(publicKeyName) for this message")
        }
        try custody(what) { try publicKey.verify(parsed, for: message, revocations: revocations) }
        return parsed.messageSignature.leaf
    }

    /// Verifies a batch file: each line 'MESSAGE-HEX SIGNATURE-HEX' (or 'LEAF MESSAGE-HEX SIGNATURE-HEX').
    public func verifyBatch(_ text: String, named name: String) throws -> [UInt32] {
        var leaves = [UInt32]()
        for (offset, line) in text.split(separator: "\n").enumerated() {
            let fields = line.split(separator: " ")
            guard fields.count == 2 || fields.count == 3,
                let messageBytes = try? Hex.decode(String(fields[fields.count - 2])),
                let signatureBytes = try? Hex.decode(String(fields[fields.count - 1]))
            else {
                throw ArborError(.malformedInput, "\(name) line \(offset + 1): expected 'MESSAGE-HEX SIGNATURE-HEX'")
            }
            leaves.append(try verify(signatureBytes, for: messageBytes, what: "\(name) line \(offset + 1)"))
        }
        return leaves
    }
}
