import ArborTestSupport
import Foundation
import Testing

@testable import ArborCore

/// Every parser meets random bytes, truncations and mutations of valid input: it throws an
/// `ArborError` and never traps.
@Suite("Parser robustness")
struct ParserRobustnessTests {
    static let parsers: [(String, @Sendable ([UInt8]) throws -> Void)] = [
        ("certificate", { _ = try KeyCertificate(encoded: $0) }),
        ("chain", { _ = try CertificateChain(encoded: $0) }),
        ("revocation", { _ = try Revocation(encoded: $0) }),
        ("revocation list", { _ = try RevocationList(encoded: $0) }),
        ("trust bundle", { _ = try TrustBundle(encoded: $0) }),
        ("public key set", { _ = try PublicKeySet(encoded: $0) }),
        ("cluster record", { _ = try ClusterRecord(encoded: $0) }),
        ("cluster member", { _ = try ClusterMember(encoded: $0) }),
        ("keyring metadata", { _ = try KeyringMetadata(encoded: $0) }),
        ("prekey bundle", { _ = try PrekeyBundle(encoded: $0) }),
        ("node message", { _ = try NodeMessage(encoded: $0) }),
        ("node message payload", { _ = try NodeMessagePayload(encoded: $0) }),
        (
            "node key file",
            { _ = try NodeKeyFile.decode(SecretBytes(copying: Array(Armor.encode($0, label: NodeKeyFile.armorLabel).utf8))) }
        ),
        (
            "root key file",
            {
                _ = try EncryptedRootKeyFile.open(
                    Armor.encode($0, label: EncryptedRootKeyFile.armorLabel), passphrase: SecretBytes(copying: [1]))
            }
        ),
    ]

    @Test("random and mutated inputs are rejected with an ArborError")
    func fuzz() throws {
        let cluster = try Fixtures.Cluster()
        let (secret, chain) = try cluster.chain("eu/node-7")
        let revocation = try cluster.issuer.revoke(chain.leaf.keyID, at: chain.leaf.path, reason: .superseded, time: 0)
        let bundle = try TrustBundle(clusterName: "x", chain: try CertificateChain([chain.root]), revocations: RevocationList([revocation]))
        let seeds: [[UInt8]] = [
            chain.leaf.encoded, chain.encoded, revocation.encoded, RevocationList([revocation]).encoded, bundle.encoded,
            try Armor.decode(secret: NodeKeyFile.encode(secret), label: NodeKeyFile.armorLabel).withUnsafeBytes { Array($0) },
            try ClusterRecord(
                key: .member(chain.leaf.path, cluster: chain.root.keyID), sequence: 1,
                value: try ClusterMember(addresses: ["a:1"], chain: chain).encoded, signer: try secret.keySet(), chain: chain
            ).encoded,
            try KeyringMetadata(cipher: .aes256GCM, activeEpoch: 2, minimumEpoch: 1).encoded,
            try PrekeyBundle(prekeys: [try PrekeySecret.generate(id: 1).prekey, try PrekeySecret.generate(id: 9).prekey]).encoded,
            try NodeMessage(
                cluster: chain.root.keyID, recipient: chain.leaf.path, recipientKeyID: chain.leaf.keyID, prekeyID: 1,
                messageID: Array(repeating: 1, count: 16), time: 0, ciphertext: [1, 2, 3], signer: try secret.keySet(), chain: chain
            ).encoded,
            NodeMessagePayload(senderKeyID: chain.leaf.keyID, messageID: Array(repeating: 2, count: 16), payload: [4]).encoded,
        ]
        var generator = SplitMix64.seeded(for: "parser fuzz")
        var inputs: [[UInt8]] = (0..<40).map { _ in
            (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        for seed in seeds {
            for _ in 0..<12 {
                var mutated = seed
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: mutated = Array(mutated.prefix(Int.random(in: 0..<mutated.count, using: &generator)))
                case 1: mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                default: mutated += [UInt8.random(in: 0...255, using: &generator)]
                }
                inputs.append(mutated)
            }
            // Length fields set to extremes.
            for index in 4..<min(12, seed.count) {
                var extreme = seed
                extreme[index] = 0xff
                inputs.append(extreme)
            }
        }
        var outcomes = 0
        for input in inputs {
            for (_, parse) in Self.parsers {
                do { try parse(input) } catch is ArborError { outcomes += 1 }
                // Anything other than ArborError propagates and fails the test.
            }
        }
        #expect(outcomes > inputs.count * (Self.parsers.count - 2))
    }

    @Test("armor is strict about labels, line lengths and base64")
    func armor() throws {
        let text = Armor.encode(Array(0..<100), label: "ARBOR TEST")
        #expect(try Armor.decode(text, label: "ARBOR TEST") == Array(0..<100))
        #expect(try Armor.decode(text.replacingOccurrences(of: "\n", with: "\r\n"), label: "ARBOR TEST") == Array(0..<100))
        #expect(throws: ArborError(.malformedInput, "")) { try Armor.decode(text, label: "ARBOR OTHER") }
        #expect(throws: ArborError(.malformedInput, "")) { try Armor.decode(String(text.dropLast(10)), label: "ARBOR TEST") }
        #expect(throws: ArborError(.malformedInput, "")) {
            try Armor.decode(text.replacingOccurrences(of: "A", with: "*"), label: "ARBOR TEST")
        }
        let lines = text.split(separator: "\n")
        let rewrapped = ([lines[0], lines[1].prefix(32), lines[1].dropFirst(32)] + lines.dropFirst(2)).joined(separator: "\n")
        #expect(throws: ArborError(.malformedInput, "")) { try Armor.decode(rewrapped, label: "ARBOR TEST") }
    }
}
