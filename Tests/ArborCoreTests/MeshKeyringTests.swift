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
        #expect(rewrapped.signature == nil)
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

    /// Trusts the given signers' keys, requiring at least `minimum`.
    func trusting(_ signers: [NodeKeySet], minimum: MeshToken.OriginSignature.Kind = .hybrid) -> MeshKeyring.OriginPolicy {
        let keys = Dictionary(uniqueKeysWithValues: signers.map { ($0.path, $0.publicKeys) })
        return .requireSignature(minimum: minimum) { keys[$0] }
    }

    /// What a keyring holder can build by hand: a token whose header names `headerOrigin`, with a
    /// signature block naming `trailerOrigin` signed by `key`, and a valid AEAD.
    func forge(
        _ ring: MeshKeyring, _ plaintext: [UInt8], context: [UInt8] = [], headerOrigin: TreePath, trailerOrigin: TreePath,
        key: NodeKeySet, kind: MeshToken.OriginSignature.Kind
    ) throws -> MeshToken {
        let provenance = Provenance(
            keyringID: ring.identifier, epoch: ring.activeEpoch, cipher: ring.cipher, nonce: randomBytes(16), time: now,
            originID: Provenance.originID(of: headerOrigin))
        let header = MeshToken.header(provenance: provenance, signature: (kind, false))
        let (messageKey, nonce) = provenance.messageKey(seed: try ring.seed(for: ring.activeEpoch), header: header, context: context)
        let box = try ChaChaPoly.seal(plaintext, using: messageKey, nonce: try ChaChaPoly.Nonce(data: nonce), authenticating: header)
        let sealed = Array(box.ciphertext) + Array(box.tag)
        let made = try MeshToken.OriginSignature.make(
            kind: kind, origin: trailerOrigin, signer: key, rewrap: false, header: header, sealed: sealed, context: context)
        // Through the encoding, as a receiver would parse it.
        return try MeshToken(encoded: MeshToken(provenance: provenance, sealed: sealed, signature: made).encoded)
    }

    @Test(
        "an origin signature proves which node sealed; missing, forged or untrusted signatures fail",
        arguments: [
            MeshToken.OriginSignature.Kind.ed25519, .hybrid,
        ])
    func originSignature(kind: MeshToken.OriginSignature.Kind) throws {
        let ring = try keyring()
        let signer = try root.descendant(origin).keySet()
        let token = try ring.seal(Array("signed".utf8), origin: origin, time: now, signer: signer, signature: kind)
        #expect(token.signature?.kind == kind)
        let trusted = trusting([signer], minimum: kind)
        #expect(try ring.open(MeshToken(text: token.text), origin: trusted) == Array("signed".utf8))
        #expect(try ring.open(token) == Array("signed".utf8))

        let unsigned = try ring.seal(Array("plain".utf8), origin: origin, time: now)
        #expect(throws: ArborError(.originNotVerified, "")) { try ring.open(unsigned, origin: trusted) }

        let impostor = try root.descendant(Fixtures.path("eu/node-8")).keySet()
        let forged = try ring.seal(Array("forged".utf8), origin: impostor.path, time: now, signer: impostor, signature: kind)
        #expect(throws: ArborError(.untrustedRoot, "")) { try ring.open(forged, origin: trusted) }
        // Stripping the signature changes the authenticated header, so the AEAD refuses.
        let stripped = MeshToken(provenance: token.provenance, sealed: token.sealed, signature: nil)
        #expect(throws: ArborError(.authenticationFailed, "")) { try ring.open(stripped) }
    }

    @Test(
        "node B's valid signature over a token naming A is refused, and so is B's key under A's name",
        arguments: [
            MeshToken.OriginSignature.Kind.ed25519, .hybrid,
        ])
    func signerBoundToOrigin(kind: MeshToken.OriginSignature.Kind) throws {
        let ring = try keyring()
        let nodeA = try root.descendant(origin).keySet()
        let nodeB = try root.descendant(Fixtures.path("eu/node-8")).keySet()
        let policy = trusting([nodeA, nodeB], minimum: kind)
        // B signs as itself, but the header names A: B is trusted, its signature is valid, the AEAD is valid.
        let namingA = try forge(ring, Array("pay".utf8), headerOrigin: nodeA.path, trailerOrigin: nodeB.path, key: nodeB, kind: kind)
        #expect(try ring.open(namingA) == Array("pay".utf8))
        #expect(throws: ArborError(.originNotVerified, "")) { try ring.open(namingA, origin: policy) }
        // B signs with its own key under A's path.
        let spoofed = try forge(ring, Array("pay".utf8), headerOrigin: nodeA.path, trailerOrigin: nodeA.path, key: nodeB, kind: kind)
        #expect(try ring.open(spoofed) == Array("pay".utf8))
        #expect(throws: ArborError(.originNotVerified, "")) { try ring.open(spoofed, origin: policy) }
    }

    @Test("a hybrid signature covers the context; an Ed25519-only signature is refused where hybrid is required")
    func hybridRules() throws {
        let ring = try keyring()
        let signer = try root.descendant(origin).keySet()
        let hybrid = try ring.seal(Array("deploy".utf8), context: Array("prod".utf8), origin: origin, time: now, signer: signer)
        #expect(hybrid.signature?.kind == .hybrid)
        #expect(hybrid.encoded.count == 6 + 56 + 4 + Fixtures.path("eu/node-7").encoded.count + 3373)
        // The signature check runs before the AEAD: a wrong context fails there, so the signature covers it.
        #expect(throws: ArborError(.originNotVerified, "")) {
            try ring.open(hybrid, context: Array("test".utf8), origin: trusting([signer]))
        }
        let legacy = try ring.seal(
            Array("deploy".utf8), context: Array("prod".utf8), origin: origin, time: now, signer: signer, signature: .ed25519)
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try ring.open(legacy, context: Array("test".utf8), origin: trusting([signer], minimum: .ed25519))
        }
        #expect(throws: ArborError(.originNotVerified, "")) {
            try ring.open(legacy, context: Array("prod".utf8), origin: trusting([signer]))
        }
        #expect(
            try ring.open(legacy, context: Array("prod".utf8), origin: trusting([signer], minimum: .ed25519)) == Array("deploy".utf8))
        // One half of the hybrid signature flipped: the token is refused.
        for offset in [3373, 100] {
            var bytes = hybrid.encoded
            bytes[bytes.count - offset] ^= 0x01
            #expect(throws: ArborError(.originNotVerified, "")) {
                try ring.open(try MeshToken(encoded: bytes), context: Array("prod".utf8), origin: trusting([signer]))
            }
        }
        // Flags that make no sense are refused when parsed.
        var flags = hybrid.encoded
        flags[1] = MeshToken.hybridFlag | MeshKeyring.Cipher.chaCha20Poly1305.rawValue
        #expect(throws: ArborError(.malformedInput, "")) { try MeshToken(encoded: flags) }
    }

    @Test("rewrap never signs what it did not verify, and keeps a verified origin with an attestation")
    func rewrapOrigins() throws {
        let owner = try root.descendant(Fixtures.path("eu"))
        var ring = try keyring()
        let nodeA = try root.descendant(origin).keySet()
        let nodeB = try root.descendant(Fixtures.path("eu/node-9")).keySet()
        let genuine = try ring.seal(Array("from A".utf8), context: [7], origin: nodeA.path, time: now, signer: nodeA)
        // Any holder forges a token naming A, unsigned.
        let forged = try ring.seal(Array("from mallory".utf8), context: [7], origin: nodeA.path, time: now)
        try ring.rotate(owner: owner)

        #expect(throws: ArborError(.originNotVerified, "")) {
            try ring.rewrap(forged, context: [7], verifying: .anyHolder, attestedBy: nodeB, time: now)
        }
        #expect(throws: ArborError(.originNotVerified, "")) {
            try ring.rewrap(forged, context: [7], verifying: trusting([nodeA]), attestedBy: nodeB, time: now)
        }
        // An unverified rewrap records the rewrapping node and no signature.
        let plain = try ring.rewrap(forged, context: [7], origin: nodeB.path, time: now)
        #expect(plain.signature == nil && plain.provenance.originID == Provenance.originID(of: nodeB.path))

        let attested = try MeshToken(
            text: try ring.rewrap(genuine, context: [7], verifying: trusting([nodeA]), attestedBy: nodeB, time: now + 5).text)
        #expect(attested.provenance.epoch == 2)
        #expect(attested.provenance.originID == Provenance.originID(of: nodeA.path))
        let signature = try #require(attested.signature)
        #expect(signature.isRewrapAttestation && signature.kind == .hybrid)
        #expect(signature.origin == nodeA.path && signature.signer == nodeB.path)
        #expect(try ring.open(attested, context: [7], origin: trusting([nodeA, nodeB])) == Array("from A".utf8))
        // Both the origin and the attester must be trusted.
        #expect(throws: ArborError(.untrustedRoot, "")) { try ring.open(attested, context: [7], origin: trusting([nodeB])) }
        #expect(throws: ArborError(.untrustedRoot, "")) { try ring.open(attested, context: [7], origin: trusting([nodeA])) }
        // The origin rewrapping its own token signs it plainly.
        let own = try ring.rewrap(genuine, context: [7], verifying: trusting([nodeA]), attestedBy: nodeA, time: now)
        #expect(own.signature?.isRewrapAttestation == false)
        #expect(try ring.open(own, context: [7], origin: trusting([nodeA])) == Array("from A".utf8))
    }

    @Test("merge refuses conflicting seeds, another cipher or keyring, and changes nothing then")
    func mergeConflicts() throws {
        let owner = try root.descendant(Fixtures.path("eu"))
        let holder = try keyring()
        var rotated = holder
        try rotated.rotate(owner: owner)
        // A copy with a made-up seed for epoch 1 and a raised active epoch.
        let fake = MeshKeyring(
            name: "payments", owner: owner.path, cipher: .chaCha20Poly1305, activeEpoch: 9, minimumEpoch: 1,
            seeds: [1: SymmetricKey(size: .bits256), 9: SymmetricKey(size: .bits256)])
        var target = holder
        #expect(throws: ArborError(.conflict, "")) { try target.merge(fake) }
        #expect(target.activeEpoch == 1 && target.heldEpochs == [1])
        #expect(try target.seed(for: 1) == holder.seed(for: 1))
        let otherCipher = try MeshKeyring.create(name: "payments", owner: owner, cipher: .aes256GCM)
        #expect(throws: ArborError(.conflict, "")) { try target.merge(otherCipher) }
        let noActiveSeed = MeshKeyring(
            name: "payments", owner: owner.path, cipher: .chaCha20Poly1305, activeEpoch: 5, minimumEpoch: 1,
            seeds: [1: try holder.seed(for: 1)])
        #expect(throws: ArborError(.conflict, "")) { try target.merge(noActiveSeed) }
        let otherRing = try MeshKeyring.create(name: "payments", owner: try root.descendant(Fixtures.path("us")))
        #expect(throws: ArborError(.wrongKeyring, "")) { try target.merge(otherRing) }
        #expect(target.activeEpoch == 1)
        try target.merge(rotated)
        #expect(target.activeEpoch == 2 && target.heldEpochs == [1, 2])
    }

    @Test("a token whose cipher differs from its keyring's is refused before decryption")
    func cipherMismatch() throws {
        let owner = try root.descendant(Fixtures.path("eu"))
        let chacha = try keyring(.chaCha20Poly1305)
        // Same owner and name, so the same identifier and seeds: a valid AES-GCM token for them.
        let aes = try MeshKeyring.create(name: "payments", owner: owner, cipher: .aes256GCM)
        let token = try aes.seal(Array("x".utf8), origin: origin, time: now)
        #expect(try aes.open(token) == Array("x".utf8))
        #expect(throws: ArborError(.wrongKeyring, "")) { try chacha.open(token) }
    }

    @Test("an attacker-chosen epoch is a lookup: the largest epoch is refused at once")
    func hugeEpoch() throws {
        let ring = try keyring()
        let token = try ring.seal(Array("x".utf8), origin: origin, time: now)
        let huge = Provenance(
            keyringID: ring.identifier, epoch: .max, cipher: ring.cipher, nonce: token.provenance.nonce, time: now,
            originID: token.provenance.originID)
        let forged = try MeshToken(encoded: MeshToken(provenance: huge, sealed: token.sealed, signature: nil).encoded)
        let clock = ContinuousClock()
        let started = clock.now
        #expect(throws: ArborError(.unknownEpoch, "")) { try ring.open(forged) }
        #expect(throws: ArborError(.unknownEpoch, "")) { try ring.wrappingKey(header: forged.header, domain: "test") }
        // Ratcheting to 2^32 - 1 would take hours; a lookup takes microseconds.
        #expect(clock.now - started < .seconds(1))
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
        // Dated in the future past the window.
        #expect(throws: ArborError(.replayed, "")) {
            try guardian.admit(try ring.seal([3], origin: origin, time: now + 200_000).provenance, now: now + 100_500)
        }
        // The saved state remembers what was admitted.
        var restored = try ReplayGuard(windowMilliseconds: 60_000, state: guardian.state)
        #expect(restored.count == 1 && restored.state == guardian.state)
        let admitted = try ring.seal([4], origin: origin, time: now + 100_600)
        try guardian.admit(admitted.provenance, now: now + 100_700)
        var again = try ReplayGuard(windowMilliseconds: 60_000, state: guardian.state)
        #expect(throws: ArborError(.replayed, "")) { try again.admit(admitted.provenance, now: now + 100_800) }
        try restored.admit(admitted.provenance, now: now + 100_800)
        for damaged in ["", "arbor-replay-state v1\nzz 1\n", "arbor-replay-state v1\n\(String(repeating: "00", count: 24)) -1\n"] {
            #expect(throws: ArborError(.corruptFile, "")) { try ReplayGuard(windowMilliseconds: 1, state: damaged) }
        }
    }

    @Test("keyring files round-trip, are redacted when printed, and reject damage")
    func keyringFile() throws {
        let ring = try keyring(.aes256GCM)
        let text = MeshKeyringFile.encode(ring)
        let decoded = try MeshKeyringFile.decode(text)
        #expect(decoded.identifier == ring.identifier && decoded.cipher == .aes256GCM && decoded.heldEpochs == [1])
        let seedHex = Hex.encode(try ring.seed(for: 1).bytesForEncoding)
        #expect(!"\(ring)".contains(seedHex))
        #expect(throws: ArborError(.corruptFile, "")) { try MeshKeyringFile.decode(text.prefix(text.count - 30)) }
        #expect(throws: ArborError(.invalidPath, "")) { try MeshKeyring.create(name: "Bad Name", owner: root) }
    }

    /// A keyring file (current version, valid checksum) with the given epochs, for the consistency checks.
    func keyringFile(active: UInt32, minimum: UInt32, epochs: [UInt32]) throws -> SecretBytes {
        var writer = ByteWriter()
        writer.append(short: Array("payments".utf8))
        Fixtures.path("eu").encode(into: &writer)
        writer.append(MeshKeyring.Cipher.chaCha20Poly1305.rawValue)
        writer.append(active)
        writer.append(minimum)
        writer.append(UInt16(epochs.count))
        for epoch in epochs {
            writer.append(epoch)
            writer.append(raw: [UInt8](repeating: UInt8(truncatingIfNeeded: epoch), count: 32))
        }
        let file = try writer.bytes.withUnsafeBytes { try MeshKeyringFile.envelope.seal(body: $0, protection: .none) }
        return file.withUnsafeBytes { Armor.encode(secret: $0, label: MeshKeyringFile.armorLabel) }
    }

    @Test(
        "keyring files with inconsistent epochs are refused",
        arguments: [
            (UInt32(2), UInt32(1), [UInt32(1)]),  // the active epoch is not held
            (2, 1, [1, 1, 2]),  // an epoch twice: the second seed would replace the first
            (2, 1, [2, 1]),  // not ascending
            (2, 1, [1, 2, 3]),  // above the active epoch
            (3, 2, [1, 3]),  // below the minimum
            (1, 0, [1]),  // minimum 0: epochs start at 1
            (1, 2, [1]),  // minimum above active
        ])
    func inconsistentEpochs(active: UInt32, minimum: UInt32, epochs: [UInt32]) throws {
        #expect(try MeshKeyringFile.decode(keyringFile(active: 2, minimum: 1, epochs: [1, 2])).heldEpochs == [1, 2])
        #expect(throws: ArborError(.corruptFile, "")) {
            try MeshKeyringFile.decode(keyringFile(active: active, minimum: minimum, epochs: epochs))
        }
    }
}
