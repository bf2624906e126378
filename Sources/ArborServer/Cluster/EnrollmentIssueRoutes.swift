import ArborCore
import ArborOperations
import Hummingbird
import Logging

/// `POST /v1/cluster/enrollments`: this node, as a parent, issues the enrollment bundle of a new
/// node below it (`EnrollmentIssuing`), sealed to the new node's one-time key. Needs `enroll`,
/// and `keyring.grant` on every keyring granted; the node's own key needs the `certify` usage.
/// The answer is the armored age file, to push to the new node's `POST /v1/sys/enroll` as it is.
struct EnrollmentIssueRoutes: NodeRoutes {
    let tokens: TokenService
    let owner: NodeSecret
    let identity: NodeSigningIdentity?
    let keyrings: SealedKeyringStore
    let clock: NodeClock
    let limits: NodeLimits

    struct IssueRequest: Decodable {
        let path: String
        let recipient: String
        let code: String
        let keyrings: [String]?
        let usage: String?
        let validityDays: Int?
        let lifetimeSeconds: Int64?
        let etcd: [String]?
        let trust: [String]?

        enum CodingKeys: String, CodingKey {
            case path, recipient, code, keyrings, usage, etcd, trust
            case validityDays = "validity_days"
            case lifetimeSeconds = "lifetime_seconds"
        }
    }

    struct IssueAnswer: ResponseEncodable {
        let bundle: String
        let node: String
        let keyID: String
        let parent: String
        let code: String
        let expiresAt: String
        let keyrings: [String]

        enum CodingKeys: String, CodingKey {
            case bundle, node, parent, code, keyrings
            case keyID = "key_id"
            case expiresAt = "expires_at"
        }
    }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("cluster/enrollments") { request, context -> IssueAnswer in
            let token = try context.requireToken()
            try tokens.authorize(token, .enroll, keyring: nil, logger: context.logger)
            let body = try await JSONBody.decode(IssueRequest.self, from: request, limit: limits.jsonBodyBytes)
            let names = body.keyrings ?? []
            guard names.count <= EnrollmentBundle.maximumKeyrings, Set(names).count == names.count else {
                throw NodeError(.invalidRequest, "'keyrings' names at most \(EnrollmentBundle.maximumKeyrings) distinct keyrings")
            }
            for name in names { try tokens.authorize(token, .keyringGrant, keyring: name, logger: context.logger) }
            guard let identity else {
                throw NodeError(.unavailable, "this node was started without its certificate chain, so it cannot enroll nodes")
            }
            var granted: [MeshKeyring] = []
            for name in names {
                guard let keyring = try await keyrings.load(name) else {
                    throw NodeError(.notFound, "there is no keyring named '\(name.prefix(64))' on this node")
                }
                granted.append(keyring)
            }
            let enrollment = EnrollmentRequest(
                path: try TreePath(parsing: body.path), usage: try body.usage.map(KeyUsage.init(parsing:)) ?? [.sign, .keyAgreement],
                validityDays: body.validityDays ?? 365, recipient: body.recipient, code: body.code, keyrings: granted,
                trustBundles: try (body.trust ?? []).map(TrustBundle.init(armored:)), etcdEndpoints: body.etcd ?? [],
                lifetime: body.lifetimeSeconds ?? EnrollmentRequest.defaultLifetime)
            let issued = try EnrollmentIssuing.issue(
                enrollment, by: try Issuer(secret: owner, chain: identity.chain), armored: true, now: clock.now())
            context.logger.info(
                "enrollment bundle issued", metadata: ["node": "\(issued.summary.node)", "keyrings": "\(issued.summary.keyrings)"])
            return IssueAnswer(
                bundle: String(decoding: issued.file, as: UTF8.self), node: issued.summary.node, keyID: issued.summary.keyID,
                parent: issued.summary.parent, code: issued.summary.code, expiresAt: issued.summary.expiresAt,
                keyrings: issued.summary.keyrings)
        }
    }
}
