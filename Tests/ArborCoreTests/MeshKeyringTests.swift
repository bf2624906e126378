import Crypto
import Foundation
import Testing

@testable import ArborCore

@Suite("Mesh keyrings and tokens")
struct MeshKeyringTests {
    let root = Fixtures.vectorRoot.node
    let origin = Fixtures.path("eu/node-7")
    let now: Int64 = 1_795_000_000_000

    func keyring(_ cipher: MeshKeyring.Cipher = .chaCha20Poly1305) throws -> MeshKeyring {
        try MeshKeyring.create(name: "payments", owner: try root.descendant(Fixtures.path("eu")), cipher: cipher)
    }

    @Test(
        "seal and open on another holder, for both ciphers; 56 bytes of overhead; fresh tokens every time",
        arguments: MeshKeyring.Cipher.allCases)
    func roundTrip(cipher: MeshKeyring.Cipher) throws {
        let sender = try keyring(cipher)
        let receiver = try MeshKeyringFile.decode(MeshKeyringFile.encode(sender))
        let message = Array("card 4111 1111 1111 1111".utf8)
        let token = try sender.seal(message, context: Array("order 42".utf8), origin: origin, time: now)
        #expect(token.encoded.count == message.count + 56)
        #expect(try receiver.open(MeshToken(text: token.text), context: Array("order 42".utf8)) == message)
        let again = try sender.seal(message, context: Array("order 42".utf8), origin: origin, time: now)
        #expect(again.encoded != token.encoded)
        #expect(token.text.hasPrefix("arbor:v1:"))
        #expect(token.provenance.epoch == 1 && token.provenance.time == now)
        #expect(token.provenance.originID == Provenance.originID(of: origin))
    }

    @Test("the root re-creates a keyring and opens what its holders sealed")
    func rootRecreates() throws {
        let token = try keyring().seal(Array("x".utf8), origin: origin, time: now)
        let recreated = try MeshKeyring.create(name: "payments", owner: try Fixtures.vectorRoot.node.descendant(Fixtures.path("eu")))
        #expect(try recreated.open(token) == Array("x".utf8))
    }

    @Test("rotation, retirement, unknown epochs and rewrap")
    func epochs() throws {
        let owner = try root.descendant(Fixtures.path("eu"))
        var ring = try keyring()
        let holderAtEpoch1 = ring
        let old = try ring.seal(Array("old".utf8), origin: origin, time: now)
        try ring.rotate(owner: owner)
        #expect(ring.activeEpoch == 2)
        let new = try ring.seal(Array("new".utf8), origin: origin, time: now)
        #expect(new.provenance.epoch == 2)
        #expect(try ring.open(old) == Array("old".utf8))
        #expect(throws: ArborError(.unknownEpoch, "")) { try holderAtEpoch1.open(new) }
        let rewrapped = try ring.rewrap(old, origin: origin, time: now + 1)
        #expect(rewrapped.provenance.epoch == 2)
        try ring.retire(below: 2)
        #expect(throws: ArborError(.retiredEpoch, "")) { try ring.open(old) }
        #expect(try ring.open(rewrapped) == Array("old".utf8))
        #expect(throws: ArborError(.invalidArgument, "")) { try ring.retire(below: 3) }
        #expect(throws: ArborError(.invalidArgument, "")) { try ring.rotate(owner: try root.descendant(Fixtures.path("us"))) }
        var holder = holderAtEpoch1
        try holder.merge(try MeshKeyringFile.decode(MeshKeyringFile.encode(ring)))
        #expect(try holder.open(new) == Array("new".utf8))
        #expect(throws: ArborError(.retiredEpoch, "")) { try holder.open(old) }
    }

    @Test("a wrong context, another keyring, any flipped bit or a cut never gives plaintext")
    func tampering() throws {
        let ring = try keyring()
        let token = try ring.seal(Array("secret message".utf8), context: [1, 2, 3], origin: origin, time: now)
        #expect(throws: ArborError(.authenticationFailed, "")) { try ring.open(token, context: [1, 2, 4]) }
        let other = try MeshKeyring.create(name: "payments", owner: try root.descendant(Fixtures.path("us")))
        #expect(throws: ArborError(.wrongKeyring, "")) { try other.open(token, context: [1, 2, 3]) }
        let bytes = token.encoded
        for index in bytes.indices {
            for bit in [0, 7] {
                var damaged = bytes
                damaged[index] ^= 1 << bit
                #expect(throws: ArborError.self) { try ring.open(try MeshToken(encoded: damaged), context: [1, 2, 3]) }
            }
        }
        for length in [0, 10, 40, 55, bytes.count - 1] {
            #expect(throws: ArborError.self) { try ring.open(try MeshToken(encoded: Array(bytes.prefix(length))), context: [1, 2, 3]) }
        }
        #expect(throws: ArborError(.malformedInput, "")) { try MeshToken(text: "vault:v1:abc") }
        #expect(throws: ArborError(.malformedInput, "")) { try MeshToken(text: token.text + "=") }
    }

    @Test("an origin signature proves which node sealed; forged, stripped or untrusted signatures fail")
    func originSignature() throws {
        let ring = try keyring()
        let signer = try root.descendant(origin).keySet()
        let token = try ring.seal(Array("signed".utf8), origin: origin, time: now, signer: signer)
        let trusted: MeshKeyring.OriginPolicy = .requireSignature { path in
            path == Fixtures.path("eu/node-7") ? signer.signing.publicKey : nil
        }
        #expect(try ring.open(MeshToken(text: token.text), origin: trusted) == Array("signed".utf8))
        #expect(try ring.open(token) == Array("signed".utf8))

        let unsigned = try ring.seal(Array("plain".utf8), origin: origin, time: now)
        #expect(throws: ArborError(.authenticationFailed, "")) { try ring.open(unsigned, origin: trusted) }

        let impostor = try root.descendant(Fixtures.path("eu/node-8")).keySet()
        let forged = try ring.seal(Array("forged".utf8), origin: impostor.path, time: now, signer: impostor)
        #expect(throws: ArborError(.untrustedRoot, "")) { try ring.open(forged, origin: trusted) }
        // An impostor claiming eu/node-7 as origin but signing with its own key.
        let claimed = try ring.seal(Array("claimed".utf8), origin: origin, time: now, signer: nil)
        let fakeSignature = MeshToken.OriginSignature(
            origin: origin,
            bytes: Array(
                try impostor.signing.signature(for: MeshToken.signedMessage(header: claimed.header, sealed: claimed.sealed, origin: origin))
            ))
        let spoofed = MeshToken(provenance: claimed.provenance, sealed: claimed.sealed, signature: fakeSignature)
        #expect(throws: ArborError(.authenticationFailed, "")) { try ring.open(spoofed, origin: trusted) }
        // Stripping the signature changes the authenticated header, so the AEAD refuses.
        let stripped = MeshToken(provenance: token.provenance, sealed: token.sealed, signature: nil)
        #expect(throws: ArborError(.authenticationFailed, "")) { try ring.open(stripped) }
    }

    @Test("the replay guard admits a token once, within its window")
    func replay() throws {
        let ring = try keyring()
        var guardian = ReplayGuard(windowMilliseconds: 60_000)
        let token = try ring.seal(Array("once".utf8), origin: origin, time: now)
        try guardian.admit(token.provenance, now: now + 1_000)
        #expect(throws: ArborError(.replayed, "")) { try guardian.admit(token.provenance, now: now + 2_000) }
        #expect(throws: ArborError(.replayed, "")) {
            try guardian.admit(try ring.seal([1], origin: origin, time: now).provenance, now: now + 61_000)
        }
        try guardian.admit(try ring.seal([2], origin: origin, time: now + 100_000).provenance, now: now + 100_500)
        #expect(guardian.count == 1)
    }

    @Test("keyring files round-trip, are redacted when printed, and reject damage")
    func keyringFile() throws {
        let ring = try keyring(.aes256GCM)
        let text = MeshKeyringFile.encode(ring)
        let decoded = try MeshKeyringFile.decode(text)
        #expect(decoded.identifier == ring.identifier && decoded.cipher == .aes256GCM && decoded.heldEpochs == [1])
        let seedHex = Hex.encode(try ring.seed(for: 1).bytesForEncoding)
        #expect(!"\(ring)".contains(seedHex))
        #expect(throws: ArborError(.corruptFile, "")) { try MeshKeyringFile.decode(String(text.dropLast(30))) }
        #expect(throws: ArborError(.invalidPath, "")) { try MeshKeyring.create(name: "Bad Name", owner: root) }
    }
}
