import ArborCore
import ArborOperations
import Hummingbird

/// `POST /v1/sign` and `POST /v1/verify`: detached hybrid signatures (Ed25519 + ML-DSA-65) with
/// the node's key, in the format `arbor sign` writes, so `arbor verify` checks them offline.
struct SignatureRoutes: NodeRoutes {
    let tokens: TokenService
    let identity: NodeSigningIdentity?
    let clock: NodeClock
    let limits: NodeLimits

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("sign") { request, context -> SignAnswer in
            try tokens.authorize(try context.requireToken(), .sign, keyring: nil, logger: context.logger)
            let body = try await JSONBody.decode(SignRequest.self, from: request, limit: limits.jsonBodyBytes)
            let input = try Base64Field.decode(body.input, field: "input")
            guard try Base64Field.decode(body.context ?? "", field: "context").isEmpty else {
                throw NodeError(
                    .invalidRequest, "a detached signature covers its input alone; put the context in the input instead of 'context'")
            }
            let identity = try requireIdentity()
            let signature = try DetachedSignature(
                digest: DetachedSignature.digest(of: input), signer: identity.keys, chain: identity.chain, time: clock.now())
            return SignAnswer(
                signature: signature.armored, signer: identity.keys.path.description, signerKeyID: identity.keys.keyID.hex,
                signedAt: Timestamp.format(signature.time), chain: identity.chain.armored)
        }
        group.post("verify") { request, context -> VerifyAnswer in
            try tokens.authorize(try context.requireToken(), .verify, keyring: nil, logger: context.logger)
            let body = try await JSONBody.decode(VerifyRequest.self, from: request, limit: limits.jsonBodyBytes)
            let input = try Base64Field.decode(body.input, field: "input")
            // A signature that does not parse is the caller's mistake (4xx); one that parses but
            // does not verify is an answer.
            let signature = try DetachedSignature(armored: body.signature)
            do {
                let verified = try signature.verify(
                    digest: DetachedSignature.digest(of: input), verifier: try requireIdentity().verifier, at: clock.now())
                return VerifyAnswer(
                    valid: true, signer: verified.leaf.path.description, signerKeyID: verified.leaf.keyID.hex,
                    signedAt: Timestamp.format(signature.time))
            } catch let error as ArborError where error.category == .verificationFailed {
                let mapped = NodeError(arbor: error)
                return VerifyAnswer(valid: false, error: .init(code: mapped.code.description, message: mapped.message))
            }
        }
    }

    private func requireIdentity() throws -> NodeSigningIdentity {
        guard let identity else { throw NodeError(.unavailable, "this node was started without its certificate chain, so it cannot sign") }
        return identity
    }
}
