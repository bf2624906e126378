import ArborCore
import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// `POST /v1/sign` and `POST /v1/verify` through the real router: the node signs with its key in
/// the detached format `arbor verify` reads, and checks signatures under its own root; a signature
/// that does not parse is a 4xx, one that does not verify is `valid: false`.
@Suite("sign and verify routes")
struct SignatureRouteTests {
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test("the node signs; the signature verifies through the route and with ArborCore, names the node, and carries its chain")
    func signAndVerify() async throws {
        let node = try await TestNode()
        let input = Self.base64("release 1.2.3")
        try await node.test { client in
            let signed = try await client.send(.post, "/v1/sign", token: node.rootToken, json: #"{"input":"\#(input)"}"#)
            #expect(signed.status == .ok)
            let body = try signed.json()
            let armored = try #require(body["signature"] as? String)
            #expect(armored.hasPrefix("-----BEGIN ARBOR SIGNATURE-----"))
            #expect(body["signer"] as? String == "dev/node-1")
            #expect(body["signer_key_id"] as? String == node.directory.keys.keyID.hex)
            #expect(body["signed_at"] as? String == "2027-01-15T08:00:00Z")
            #expect(try CertificateChain(armored: try #require(body["chain"] as? String)) == node.directory.chain)

            // Offline, as `arbor verify` does: the signature carries the chain; the anchor is the root.
            let signature = try DetachedSignature(armored: armored)
            let verifier = ChainVerifier(anchors: [try TrustAnchor(name: "root", rootCertificate: node.directory.chain.root)])
            let verified = try signature.verify(
                digest: DetachedSignature.digest(of: Array("release 1.2.3".utf8)), verifier: verifier, at: 1_800_000_000)
            #expect(verified.leaf.path.description == "dev/node-1")

            let request = try JSONSerialization.data(withJSONObject: ["input": input, "signature": armored])
            let good = try await client.send(.post, "/v1/verify", token: node.rootToken, json: String(decoding: request, as: UTF8.self))
            #expect(good.status == .ok)
            let answer = try good.json()
            #expect(answer["valid"] as? Bool == true && answer["signer"] as? String == "dev/node-1" && answer["error"] == nil)

            let other = try JSONSerialization.data(withJSONObject: ["input": Self.base64("release 1.2.4"), "signature": armored])
            let wrong = try await client.send(.post, "/v1/verify", token: node.rootToken, json: String(decoding: other, as: UTF8.self))
            #expect(wrong.status == .ok)
            let refused = try wrong.json()
            #expect(refused["valid"] as? Bool == false && refused["signer"] == nil)
            #expect((refused["error"] as? [String: Any])?["code"] as? String == "invalid_signature")
        }
    }

    @Test("a signature by a node of another cluster is valid: false (untrusted root), not an error")
    func otherCluster() async throws {
        let node = try await TestNode()
        let stranger = try await TestNode()
        let input = Self.base64("x")
        let armored = try await stranger.test { client in
            let signed = try await client.send(.post, "/v1/sign", token: stranger.rootToken, json: #"{"input":"\#(input)"}"#)
            return try #require(try signed.json()["signature"] as? String)
        }
        try await node.test { client in
            let request = try JSONSerialization.data(withJSONObject: ["input": input, "signature": armored])
            let answer = try await client.send(.post, "/v1/verify", token: node.rootToken, json: String(decoding: request, as: UTF8.self))
            #expect(answer.status == .ok)
            #expect(try answer.json()["valid"] as? Bool == false)
            #expect((try answer.json()["error"] as? [String: Any])?["code"] as? String == "untrusted_root")
        }
    }

    @Test("missing token 401, denied policy 403, bad base64, a context, a malformed signature and a missing field 422")
    func refusals() async throws {
        let node = try await TestNode()
        try await node.test { client in
            let sign = #"{"input":"AQ=="}"#
            let verify = #"{"input":"AQ==","signature":"-----BEGIN ARBOR SIGNATURE-----\nAAAA\n-----END ARBOR SIGNATURE-----\n"}"#
            for (path, body) in [("/v1/sign", sign), ("/v1/verify", verify)] {
                let missing = try await client.send(.post, path, json: body)
                #expect(try missing.status == .unauthorized && missing.errorCode() == "missing_token")
            }
            let signOnly = try await client.createToken(root: node.rootToken, #"{"policies":[{"operations":["sign"]}]}"#)
            let verifyOnly = try await client.createToken(root: node.rootToken, #"{"policies":[{"operations":["verify"]}]}"#)
            let deniedSign = try await client.send(.post, "/v1/sign", token: verifyOnly.token, json: sign)
            #expect(try deniedSign.status == .forbidden && deniedSign.errorCode() == "permission_denied")
            let deniedVerify = try await client.send(.post, "/v1/verify", token: signOnly.token, json: verify)
            #expect(try deniedVerify.status == .forbidden && deniedVerify.errorCode() == "permission_denied")
            #expect(try await client.send(.post, "/v1/sign", token: signOnly.token, json: sign).status == .ok)

            let cases: [(String, String)] = [
                ("/v1/sign", #"{"input":"not base64!"}"#),
                ("/v1/sign", #"{"input":"AQ==","context":"AQ=="}"#),
                ("/v1/sign", #"{}"#),
                ("/v1/verify", #"{"input":"%%%","signature":"x"}"#),
                ("/v1/verify", #"{"input":"AQ==","signature":"not a signature"}"#),
                ("/v1/verify", verify),
                ("/v1/verify", #"{"input":"AQ=="}"#),
            ]
            for (path, body) in cases {
                let response = try await client.send(.post, path, token: node.rootToken, json: body)
                #expect(response.status == .unprocessableContent, "\(path) \(body): \(response.status)")
                #expect(try response.errorCode() == "invalid_request", "\(path) \(body)")
            }
            let notJSON = try await client.send(.post, "/v1/sign", token: node.rootToken, json: "input=AQ")
            #expect(try notJSON.status == .badRequest && notJSON.errorCode() == "malformed_json")
        }
    }
}
