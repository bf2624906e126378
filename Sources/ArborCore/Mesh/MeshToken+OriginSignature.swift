import Crypto

extension MeshToken {
    /// Who sealed a token, proven by a signature over it. See docs/formats.md, "Token".
    public struct OriginSignature: Sendable, Equatable {
        /// Ed25519 alone (the first token format: does not cover the context, not post-quantum),
        /// or hybrid Ed25519 + ML-DSA-65 over the token and its context.
        public enum Kind: UInt8, Sendable, Comparable, CustomStringConvertible {
            case ed25519 = 1
            case hybrid = 2

            public init(parsing text: String) throws {
                guard let kind = [Self.ed25519, .hybrid].first(where: { $0.description == text }) else {
                    throw ArborError(.invalidArgument, "unknown origin signature '\(text)'; use hybrid or ed25519")
                }
                self = kind
            }

            public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
            public var description: String { self == .ed25519 ? "ed25519" : "hybrid" }
            var size: Int { self == .ed25519 ? 64 : HybridSignature.encodedSize }
        }

        public let kind: Kind
        /// The node that sealed the message; the header's origin identifier is this path's.
        public let origin: TreePath
        /// The node whose key signed: the origin itself, or, for a rewrap attestation, the
        /// rewrapping node that verified the origin's signature on the token it rewrapped.
        public let signer: TreePath
        public let isRewrapAttestation: Bool
        let bytes: [UInt8]

        static let ed25519Domain = "arbor/v1/mesh-token"
        static let hybridDomain = "arbor/v1/mesh-token-hybrid"

        /// Ed25519 kind: domain ‖ 0x00 ‖ header ‖ u32 len ‖ ciphertext and tag ‖ path(origin).
        static func ed25519Message(header: [UInt8], sealed: [UInt8], origin: TreePath) -> [UInt8] {
            var writer = ByteWriter()
            writer.append(raw: Array(ed25519Domain.utf8))
            writer.append(UInt8(0))
            writer.append(raw: header)
            writer.append(long: sealed)
            origin.encode(into: &writer)
            return writer.bytes
        }

        /// Hybrid kind, the body after the domain: header ‖ u32 len ‖ ciphertext and tag ‖
        /// path(origin) ‖ path(signer) ‖ u32 len ‖ context.
        static func hybridBody(header: [UInt8], sealed: [UInt8], origin: TreePath, signer: TreePath, context: [UInt8]) -> [UInt8] {
            var writer = ByteWriter()
            writer.append(raw: header)
            writer.append(long: sealed)
            origin.encode(into: &writer)
            signer.encode(into: &writer)
            writer.append(long: context)
            return writer.bytes
        }

        static func make(
            kind: Kind, origin: TreePath, signer: NodeKeySet, rewrap: Bool, header: [UInt8], sealed: [UInt8], context: [UInt8]
        ) throws -> OriginSignature {
            let bytes: [UInt8]
            switch kind {
            case .ed25519:
                bytes = Array(try signer.signing.signature(for: ed25519Message(header: header, sealed: sealed, origin: origin)))
            case .hybrid:
                let body = hybridBody(header: header, sealed: sealed, origin: origin, signer: signer.path, context: context)
                var writer = ByteWriter()
                try HybridSignature.sign(domain: hybridDomain, body: body, with: signer).encode(into: &writer)
                bytes = writer.bytes
            }
            return OriginSignature(kind: kind, origin: origin, signer: signer.path, isRewrapAttestation: rewrap, bytes: bytes)
        }

        func isValid(header: [UInt8], sealed: [UInt8], context: [UInt8], signerKeys: PublicKeySet) -> Bool {
            switch kind {
            case .ed25519:
                return signerKeys.signing.isValidSignature(bytes, for: Self.ed25519Message(header: header, sealed: sealed, origin: origin))
            case .hybrid:
                var reader = ByteReader(bytes, context: "the origin signature")
                guard let hybrid = try? HybridSignature.decode(from: &reader) else { return false }
                let body = Self.hybridBody(header: header, sealed: sealed, origin: origin, signer: signer, context: context)
                return hybrid.isValid(domain: Self.hybridDomain, body: body, publicKeys: signerKeys)
            }
        }
    }
}
