import ArborCore
import Crypto

/// What a node sends to be enrolled in a federated HSS key (`docs/custody-formats.md` §3.7): its
/// LMS public key and its node path, signed by the node's own Arbor keys under its certificate
/// chain. The level above enrolls only a request whose chain verifies and names that same path,
/// so a request cannot be made for another node, nor by someone without a node's keys.
///
///     "AHSQ" || u8 version = 1 || u16 n || node path (n bytes, UTF-8) || LMS public key (56)
///         || detached signature (docs/formats.md) over D = HMAC-SHA512("arbor/v1/hss-enrollment-request", everything before)
public struct HSSEnrollmentRequest: Sendable {
    public static let armorLabel = "ARBOR HSS ENROLLMENT REQUEST"
    static let magic = Array("AHSQ".utf8)
    static let version: UInt8 = 1
    static let digestKey = SymmetricKey(data: Array("arbor/v1/hss-enrollment-request".utf8))
    /// A path is at most 32 labels of 63 bytes with branches; anything longer is refused unread.
    static let maximumPathLength = 4096

    /// The node the request is for; its signer's chain must end at this path.
    public let nodePath: TreePath
    /// The node's LMS public key, to be signed by the level above.
    public let publicKey: LMSPublicKey
    /// The node's signature, carrying its certificate chain.
    public let signature: DetachedSignature

    /// Signs a request for the node at the end of `chain`, whose keys are `signer`.
    public init(publicKey: LMSPublicKey, signer: NodeKeySet, chain: CertificateChain, time: Int64) throws {
        nodePath = chain.leaf.path
        self.publicKey = publicKey
        signature = try DetachedSignature(
            digest: Self.digest(Self.body(nodePath: nodePath, publicKey: publicKey)), signer: signer, chain: chain, time: time)
    }

    /// Verifies the signer's chain (trusted, not revoked, allowed to sign, valid at `time`), the
    /// signature, and that the chain names ``nodePath``. Returns the verified chain.
    /// Chain and signature failures are the `ArborError`s of `DetachedSignature.verify`.
    public func verify(verifier: ChainVerifier, at time: Int64) throws -> ChainVerifier.VerifiedChain {
        let verified = try signature.verify(
            digest: Self.digest(Self.body(nodePath: nodePath, publicKey: publicKey)), verifier: verifier, at: time)
        guard verified.leaf.path == nodePath else {
            throw CustodyError(
                .unauthenticatedRequest,
                "the request names the node \(nodePath) but is signed by \(verified.leaf.path): it is not that node's request")
        }
        return verified
    }

    static func body(nodePath: TreePath, publicKey: LMSPublicKey) -> [UInt8] {
        let path = Array(nodePath.description.utf8)
        var bytes = magic
        bytes.append(version)
        bytes += [UInt8(truncatingIfNeeded: path.count >> 8), UInt8(truncatingIfNeeded: path.count)]
        return bytes + path + publicKey.bytes
    }

    /// A keyed hash rather than SHA-512 of the body, so that no file a node signs with
    /// `arbor sign` can double as an enrollment request.
    static func digest(_ body: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA512>.authenticationCode(for: body, using: digestKey))
    }

    public var encoded: [UInt8] { Self.body(nodePath: nodePath, publicKey: publicKey) + signature.encoded }

    public var armored: String { Armor.encode(encoded, label: Self.armorLabel) }

    public init(armored text: String) throws {
        try self.init(encoded: try CustodyArmor.decode(text, label: Self.armorLabel, what: "HSS enrollment request"))
    }

    public init(encoded bytes: [UInt8]) throws {
        guard bytes.count >= 7, Array(bytes[0..<4]) == Self.magic else {
            throw CustodyError(.malformedKeyFile, "this is not an Arbor HSS enrollment request")
        }
        guard bytes[4] == Self.version else {
            throw CustodyError(.malformedKeyFile, "HSS enrollment request version \(bytes[4]) is not supported by this arbor")
        }
        let pathLength = Int(bytes[5]) << 8 | Int(bytes[6])
        var reader = ByteReader(Array(bytes[7...]), context: "the enrollment request")
        guard pathLength <= Self.maximumPathLength, let pathBytes = try? reader.read(count: pathLength),
            let path = String(validating: pathBytes, as: UTF8.self)
        else {
            throw CustodyError(.malformedKeyFile, "the enrollment request's node path is truncated or not UTF-8")
        }
        do {
            nodePath = try TreePath(parsing: path)
        } catch let error as ArborError {
            throw CustodyError(.malformedKeyFile, "the enrollment request's node path is invalid: \(error.message)")
        }
        do {
            publicKey = try LMSPublicKey(reading: &reader)
        } catch let error as CustodyError {
            throw CustodyError(.malformedKeyFile, "the enrollment request's LMS public key: \(error.message)")
        }
        do {
            signature = try DetachedSignature(encoded: (try? reader.read(count: reader.remaining)) ?? [])
        } catch let error as ArborError {
            throw CustodyError(.malformedKeyFile, "the enrollment request's signature: \(error.message)")
        }
    }
}
