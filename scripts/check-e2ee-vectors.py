#!/usr/bin/env python3
"""Checks Arbor's E2EE account and conversation vectors with a second, independent implementation.

Written from docs/e2ee.md §2-§14 and §17 (not from the Swift sources). Accounts (§2-§9): the
password keys (§3: PBKDF2, then the HKDF split into the key-encryption key and the Ed25519 login
seed), wrapped keys (§4: their bytes, their opening, and their refusal under another purpose,
another account, a changed byte or a bad header), the identity public keys from their seeds (§5:
X-Wing per draft-connolly-cfrg-xwing-kem-06, Ed25519, ML-DSA-65 from its FIPS 204 seed), the
recovery words and key (§6) and the login signature (§7). Needs Python 3 and the `cryptography`
package; the X-Wing and ML-DSA-65 checks are reported as skipped when it lacks ML-KEM-768 or
ML-DSA-65 seed import, and a skip fails under ARBOR_REQUIRE_PEERS=1. The SLIP-39 word list comes
from the shamir-mnemonic package (the reference implementation) or, without it, from
Sources/ArborCore/Trust/Wordlist.swift.

Conversations (§10-§14, vectors §17): both identities' public keys from their seeds and their safety
numbers (§10, rendered as docs/keys.md §18), the conversation id (§11), the key envelope (§12: its
fields, the adder's hybrid signature, X-Wing decapsulation with the recipient's seed, the wrap key
and the epoch key; a changed header byte fails both the signature and the AEAD), each message (§13:
header, message key, ciphertext, the Ed25519 half recomputed and the ML-DSA-65 half verified; a
changed sender fails) and the token stream (§14: stream key, chunk key, every chunk, the transcript
hash and the seal; a chunk at another index or with its final flag flipped fails). X-Wing
decapsulation (draft-connolly-cfrg-xwing-kem-06: ML-KEM-768, X25519 and the SHA3-256 combiner) is
scripts/check-message-vectors.py's.

Usage: scripts/check-e2ee-vectors.py [FILE …]   (default: e2ee-accounts.json and e2ee-conversations.json)
Each file is checked as accounts or as a conversation by its content. Prints one line per check and a
summary; exits 0 only if no check failed.
"""

import hashlib
import importlib.util
import json
import os
import re
import sys

try:
    import cryptography
    from cryptography.exceptions import InvalidSignature, InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
except ImportError:  # pragma: no cover
    print("the Python package 'cryptography' is required: pip install cryptography", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = ["Tests/ArborE2EETests/Vectors/e2ee-accounts.json",
                   "Tests/ArborE2EETests/Vectors/e2ee-conversations.json"]
SWIFT_WORDLIST = os.path.join(HERE, "..", "Sources", "ArborCore", "Trust", "Wordlist.swift")
PURPOSES = ("master/password", "master/recovery", "identity")


# X-Wing decapsulation is the node message checker's; the ML-DSA-65 and ML-KEM-768 probes, the X-Wing
# and ML-DSA-65 public keys from seeds, the safety number rendering and the Failure type are the
# key-tree checker's (the one the message checker loads, so that there is one Failure class).
_spec = importlib.util.spec_from_file_location("messages", os.path.join(HERE, "check-message-vectors.py"))
mv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mv)
kt = mv.kt
MLDSA, MLDSA_MISSING, MLKEM, MLKEM_MISSING, Failure = kt.MLDSA, kt.MLDSA_MISSING, kt.MLKEM, kt.MLKEM_MISSING, kt.Failure
Report = kt.Report


# --- §2 conventions and §3 password keys -------------------------------------------------------

def label(text):
    return text.encode("ascii") + b"\x00"


def hkdf(ikm, info):
    """HKDF-SHA256 with an empty salt and 32 bytes of output (§2)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"", info=info).derive(ikm)


def stretch(password, salt, rounds):
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, rounds, 32)


def ed25519_public(seed):
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


# --- §4 wrapped keys ---------------------------------------------------------------------------

def wrap_aad(purpose, account):
    return label("arbor/v1/e2ee/wrap") + purpose.encode("ascii") + b"\x00" + account


def wrap(key, nonce, plaintext, purpose, account):
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, plaintext, wrap_aad(purpose, account))


def unwrap(key, wrapped, purpose, account):
    if len(wrapped) < 30 or wrapped[0] != 0x01:
        raise Failure("malformed input", "not a version 1 wrapped key of at least 30 bytes")
    try:
        return AESGCM(key).decrypt(wrapped[1:13], wrapped[13:], wrap_aad(purpose, account))
    except InvalidTag:
        raise Failure("authentication failed", "the wrapped key does not open") from None


def refusal(key, wrapped, purpose, account):
    """The error code opening gives, or None if it opens."""
    try:
        unwrap(key, wrapped, purpose, account)
        return None
    except Failure as failure:
        return failure.code


# --- §5 identity keys --------------------------------------------------------------------------

# draft-connolly-cfrg-xwing-kem-06 key generation from the 32-byte seed: SHAKE256(seed, 96) gives the
# ML-KEM-768 seed (d ‖ z, 64 bytes) and the X25519 secret (32); pk = pk_M ‖ pk_X. ML-DSA-65 from ξ.
xwing_public, mldsa65_public = kt.xwing_public, kt.mldsa65_public


# --- §6 recovery code --------------------------------------------------------------------------

def load_wordlist():
    """The SLIP-39 list: shamir-mnemonic's (the reference) or, without it, the repository's."""
    try:
        from shamir_mnemonic.wordlist import WORDLIST
        return list(WORDLIST), "shamir-mnemonic"
    except ImportError:
        with open(SWIFT_WORDLIST, encoding="utf-8") as handle:
            words = re.findall(r'^\s*"([a-z]+)",\s*$', handle.read(), re.MULTILINE)
        return words, "Sources/ArborCore/Trust/Wordlist.swift"


def recovery_words(entropy, wordlist):
    check = hashlib.sha256(label("arbor/v1/e2ee/recovery-check") + entropy).digest()
    bits = (int.from_bytes(entropy, "big") << 20) | (int.from_bytes(check[:3], "big") >> 4)
    total = len(entropy) * 8 + 20
    return [wordlist[(bits >> (total - 10 * (i + 1))) & 0x3FF] for i in range(total // 10)]


def recovery_entropy(text, wordlist):
    """Typed words back to the entropy (§6): case-insensitive, spaces or dashes, 18 words, checksum."""
    words = [w for w in re.split(r"[ \-]+", text.strip().lower()) if w]
    if len(words) != 18:
        raise Failure("invalid argument", f"{len(words)} words, not 18")
    index = {w: i for i, w in enumerate(wordlist)}
    if any(w not in index for w in words):
        raise Failure("invalid argument", "a word not on the list")
    bits = 0
    for w in words:
        bits = (bits << 10) | index[w]
    entropy = (bits >> 20).to_bytes(20, "big")
    if recovery_words(entropy, wordlist) != words:
        raise Failure("invalid argument", "wrong checksum")
    return entropy


# --- the checks --------------------------------------------------------------------------------

def hex_fields(v):
    return {k: bytes.fromhex(x) for k, x in v.items() if isinstance(x, str) and re.fullmatch(r"(?:[0-9a-f]{2})*", x)}


def check_accounts(report, v):
    h = hex_fields(v)
    account = h["account"]

    # §9: the fixed inputs.
    report.check("inputs: account id 00…0f, salt 10…1f, 600,000 rounds",
                 account == bytes(range(0x00, 0x10)) and h["salt"] == bytes(range(0x10, 0x20)) and v["rounds"] == 600000)
    report.check("inputs: master key 20…3f, identity seeds 40…9f, recovery entropy a0…b3",
                 h["master_key"] == bytes(range(0x20, 0x40)) and h["identity_seeds"] == bytes(range(0x40, 0xA0))
                 and h["recovery_entropy"] == bytes(range(0xA0, 0xB4)))
    report.check("inputs: login challenge f0…ff 00…0f", h["login_challenge"] == bytes(range(0xF0, 0x100)) + bytes(range(0x10)))

    # §3 password keys.
    stretched = stretch(v["password"], h["salt"], v["rounds"])
    report.check("§3 stretched = PBKDF2-HMAC-SHA256(password, salt, rounds, 32)", stretched == h["stretched"], stretched.hex())
    kek = hkdf(stretched, label("arbor/v1/e2ee/password-kek") + account)
    report.check("§3 key_encryption_key = HKDF(P, password-kek ‖ account)", kek == h["key_encryption_key"], kek.hex())
    login_seed = hkdf(stretched, label("arbor/v1/e2ee/login-key") + account)
    report.check("§3 login_seed = HKDF(P, login-key ‖ account)", login_seed == h["login_seed"], login_seed.hex())
    report.check("§3 login_public_key is the Ed25519 key of login_seed", ed25519_public(login_seed) == h["login_public_key"])
    report.check("§3 the KEK and the login seed differ", kek != login_seed)

    # §6 recovery code (before the wraps: the recovery key wraps the master key).
    wordlist, source = load_wordlist()
    report.check(f"§6 the SLIP-39 word list ({source}) has 1024 distinct words", len(set(wordlist)) == 1024)
    words = recovery_words(h["recovery_entropy"], wordlist)
    report.check("§6 recovery_words: 160 bits ‖ 20 checksum bits, 10 bits a word", words == v["recovery_words"], " ".join(words))
    typed = "-".join(" ".join(v["recovery_words"][i:i + 3]).upper() for i in range(0, 18, 3))
    try:
        back = recovery_entropy(typed, wordlist)
    except Failure as failure:
        back = failure
    report.check("§6 the words, typed in upper case in dash-separated groups, give back the entropy",
                 back == h["recovery_entropy"], str(back))
    recovery_key = hkdf(h["recovery_entropy"], label("arbor/v1/e2ee/recovery-key") + account)
    report.check("§6 recovery_key = HKDF(entropy, recovery-key ‖ account)", recovery_key == h["recovery_key"], recovery_key.hex())

    # §4 wrapped keys, each with its key, nonce, plaintext and purpose.
    cases = [
        ("master_by_password", kek, "master_nonce", h["master_key"], "master/password"),
        ("master_by_recovery", recovery_key, "recovery_nonce", h["master_key"], "master/recovery"),
        ("identity", h["master_key"], "identity_nonce", h["identity_seeds"], "identity"),
    ]
    other_account = account[:-1] + bytes([account[-1] ^ 0x01])
    for field, key, nonce_field, plaintext, purpose in cases:
        wrapped = h[field]
        ours = wrap(key, h[nonce_field], plaintext, purpose, account)
        report.check(f"§4 {field}: 0x01 ‖ {nonce_field} ‖ AES-256-GCM, purpose {purpose}", ours == wrapped,
                     f"got {ours.hex()}")
        report.check(f"§4 {field}: {1 + 12 + len(plaintext) + 16} bytes", len(wrapped) == 1 + 12 + len(plaintext) + 16)
        try:
            opened = unwrap(key, wrapped, purpose, account)
        except Failure as failure:
            opened = failure
        report.check(f"§4 {field}: opens to its key", opened == plaintext, str(opened))
        for other in PURPOSES:
            if other != purpose:
                code = refusal(key, wrapped, other, account)
                report.check(f"§4 {field}: as purpose {other}: {code}", code == "authentication failed")
        code = refusal(key, wrapped, purpose, other_account)
        report.check(f"§4 {field}: in another account ({other_account.hex()}): {code}", code == "authentication failed")
        for other_field, other_key, _, _, _ in cases:
            if other_field != field:
                code = refusal(other_key, wrapped, purpose, account)
                report.check(f"§4 {field}: under {other_field}'s key: {code}", code == "authentication failed")
        changed = wrapped[:20] + bytes([wrapped[20] ^ 0x80]) + wrapped[21:]
        code = refusal(key, changed, purpose, account)
        report.check(f"§4 {field}: a changed byte: {code}", code == "authentication failed")
        code = refusal(key, b"\x02" + wrapped[1:], purpose, account)
        report.check(f"§4 {field}: version 0x02: {code}", code == "malformed input")
        code = refusal(key, wrapped[:29], purpose, account)
        report.check(f"§4 {field}: cut to 29 bytes: {code}", code == "malformed input")

    # §5 identity keys from the seeds.
    seeds = h["identity_seeds"]
    xwing_seed, ed_seed, mldsa_seed = seeds[:32], seeds[32:64], seeds[64:96]
    if MLKEM:
        ours = xwing_public(xwing_seed)
        report.check("§5 receiving_public_key is the X-Wing key (1216 bytes) of seeds[0:32]",
                     ours == h["receiving_public_key"] and len(ours) == 1216, f"got {ours[:16].hex()}…")
    else:
        report.skip("§5 receiving_public_key is the X-Wing key of seeds[0:32]", MLKEM_MISSING)
    report.check("§5 signing_public_key is the Ed25519 key of seeds[32:64]", ed25519_public(ed_seed) == h["signing_public_key"])
    if MLDSA:
        ours = mldsa65_public(mldsa_seed)
        report.check("§5 pq_signing_public_key is the ML-DSA-65 key (1952 bytes) of seeds[64:96]",
                     ours == h["pq_signing_public_key"] and len(ours) == 1952, f"got {ours[:16].hex()}…")
    else:
        report.skip("§5 pq_signing_public_key is the ML-DSA-65 key of seeds[64:96]", MLDSA_MISSING)

    # §7 login proof.
    message = label("arbor/v1/e2ee/login") + account + h["login_challenge"]
    signature = ed25519.Ed25519PrivateKey.from_private_bytes(login_seed).sign(message)
    report.check("§7 login_signature = Ed25519(login seed, login ‖ account ‖ challenge)", signature == h["login_signature"],
                 signature.hex())
    public = ed25519.Ed25519PublicKey.from_public_bytes(h["login_public_key"])
    for name, signed, ok in [("verifies under login_public_key", message, True),
                             ("does not verify for another account",
                              label("arbor/v1/e2ee/login") + other_account + h["login_challenge"], False)]:
        try:
            public.verify(h["login_signature"], signed)
            verified = True
        except InvalidSignature:
            verified = False
        report.check(f"§7 login_signature {name}", verified == ok)


# --- §10 hybrid signature and safety number ----------------------------------------------------

ED_SIG, MLDSA_SIG = 64, 3309
HYBRID_SIG = ED_SIG + MLDSA_SIG  # 3373


def ed25519_verifies(public, signature, message):
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def mldsa65_verifies(public, signature, message):
    """FIPS 204 ML-DSA-65 verification with an empty context (§10)."""
    try:
        MLDSA.MLDSA65PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


class Identity:
    """One participant of the conversation file: account id, seeds (§5) and the stored public keys."""

    def __init__(self, name, entry):
        self.name = name
        self.h = hex_fields(entry)
        self.entry = entry
        self.account = self.h["account"]
        seeds = self.h["identity_seeds"]
        self.xwing_seed, self.ed_seed, self.mldsa_seed = seeds[:32], seeds[32:64], seeds[64:96]
        self.xwing_pk = self.h["receiving_public_key"]
        self.ed_pk = self.h["signing_public_key"]
        self.mldsa_pk = self.h["pq_signing_public_key"]

    def ed25519_sign(self, message):
        return ed25519.Ed25519PrivateKey.from_private_bytes(self.ed_seed).sign(message)

    def hybrid_verifies(self, signature, message):
        """Both halves under this identity's stored keys; None when ML-DSA-65 is unavailable."""
        if len(signature) != HYBRID_SIG:
            return False
        classical = ed25519_verifies(self.ed_pk, signature[:ED_SIG], message)
        if MLDSA is None:
            return None
        return classical and mldsa65_verifies(self.mldsa_pk, signature[ED_SIG:], message)


def e2ee_safety_digest(identity):
    return hashlib.sha512(label("arbor/v1/e2ee/safety-number") + identity.account + identity.xwing_pk
                          + identity.ed_pk + identity.mldsa_pk).digest()


def check_signature(report, what, signer, signature, message):
    """§10: the Ed25519 half recomputed (deterministic), the ML-DSA-65 half verified."""
    report.check(f"{what}: signature is {HYBRID_SIG} bytes (Ed25519 64 ‖ ML-DSA-65 3309)", len(signature) == HYBRID_SIG,
                 f"{len(signature)} bytes")
    ours = signer.ed25519_sign(message)
    report.check(f"{what}: Ed25519 half recomputed with {signer.name}'s seed", ours == signature[:ED_SIG], ours.hex())
    report.check(f"{what}: Ed25519 half verifies under {signer.name}'s signing_public_key",
                 ed25519_verifies(signer.ed_pk, signature[:ED_SIG], message))
    if MLDSA:
        report.check(f"{what}: ML-DSA-65 half verifies under {signer.name}'s pq_signing_public_key (empty context)",
                     mldsa65_verifies(signer.mldsa_pk, signature[ED_SIG:], message))
    else:
        report.skip(f"{what}: ML-DSA-65 half verifies under {signer.name}'s pq_signing_public_key", MLDSA_MISSING)


def check_refused(report, what, verdict):
    """A hybrid verification that must fail: False passes; None (ML-DSA-65 unavailable) is a skip."""
    if verdict is None:
        report.skip(what, MLDSA_MISSING)
    else:
        report.check(what, verdict is False)


def flip(data, at, mask=0x01):
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1:]


def opens(key, nonce, data, aad):
    try:
        return AESGCM(key).decrypt(nonce, data, aad)
    except InvalidTag:
        return None


# --- §11 conversation, §12 envelope, §13 message, §14 stream -------------------------------------

def conversation_id(creator, nonce):
    return hashlib.sha256(label("arbor/v1/e2ee/conversation") + creator + nonce).digest()[:16]


def parse_envelope(data):
    """§12: the fields of a version 1 key envelope (4594 bytes)."""
    if len(data) != 4594 or data[0] != 0x01:
        raise Failure("malformed input", f"not a version 1 envelope of 4594 bytes ({len(data)} bytes)")
    fields, at = {}, 0
    for name, size in [("version", 1), ("conversation", 16), ("epoch", 4), ("recipient", 16), ("adder", 16),
                       ("xwing_ciphertext", 1120), ("sealed", 48), ("signature", HYBRID_SIG)]:
        fields[name] = data[at:at + size]
        at += size
    fields["header"] = data[:53]
    fields["epoch"] = int.from_bytes(fields["epoch"], "big")
    return fields


def envelope_signed(header, xwing_ciphertext, sealed):
    return label("arbor/v1/e2ee/envelope") + header + xwing_ciphertext + sealed


def message_header(kind, conversation, epoch, message_id, sender, sequence, previous, nonce):
    """§13: the first 90 bytes of a message (the nonce is the header's last field)."""
    return (b"\x01" + bytes([kind]) + conversation + epoch.to_bytes(4, "big") + message_id + sender
            + sequence.to_bytes(8, "big") + previous + nonce)


def message_key(epoch_key, conversation, epoch):
    return hkdf(epoch_key, label("arbor/v1/e2ee/message-key") + conversation + epoch.to_bytes(4, "big"))


def message_aad(header):
    return label("arbor/v1/e2ee/message") + header


def stream_context(conversation, epoch, message_id):
    return conversation + epoch.to_bytes(4, "big") + message_id


def chunk_nonce(index, final):
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def chunk_aad(conversation, epoch, message_id):
    return label("arbor/v1/e2ee/chunk") + stream_context(conversation, epoch, message_id)


def transcript_hash(chunks):
    return hashlib.sha256(b"".join(len(c).to_bytes(4, "big") + c for c in chunks)).digest()


def check_conversation(report, v):
    h = hex_fields(v)
    alice, bob = Identity("alice", v["alice"]), Identity("bob", v["bob"])
    people = {alice.account: alice, bob.account: bob}
    wordlist, source = load_wordlist()

    # §5 and §10: the identities.
    for who in (alice, bob):
        report.check(f"§5 {who.name}: identity_seeds are 96 bytes", len(who.h["identity_seeds"]) == 96)
        if MLKEM:
            ours = xwing_public(who.xwing_seed)
            report.check(f"§5 {who.name}: receiving_public_key is the X-Wing key (1216 bytes) of seeds[0:32]",
                         ours == who.xwing_pk and len(ours) == 1216, f"got {ours[:16].hex()}…")
        else:
            report.skip(f"§5 {who.name}: receiving_public_key is the X-Wing key of seeds[0:32]", MLKEM_MISSING)
        report.check(f"§5 {who.name}: signing_public_key is the Ed25519 key of seeds[32:64]",
                     ed25519_public(who.ed_seed) == who.ed_pk)
        if MLDSA:
            ours = mldsa65_public(who.mldsa_seed)
            report.check(f"§5 {who.name}: pq_signing_public_key is the ML-DSA-65 key (1952 bytes) of seeds[64:96]",
                         ours == who.mldsa_pk and len(ours) == 1952, f"got {ours[:16].hex()}…")
        else:
            report.skip(f"§5 {who.name}: pq_signing_public_key is the ML-DSA-65 key of seeds[64:96]", MLDSA_MISSING)
        digits, words = kt.render_safety_number(e2ee_safety_digest(who), wordlist)
        report.check(f"§10 {who.name}: safety_number_digits = keys.md §18 digits of SHA-512(safety-number ‖ account ‖ "
                     "X-Wing ‖ Ed25519 ‖ ML-DSA-65)", digits == who.entry["safety_number_digits"], digits)
        report.check(f"§10 {who.name}: safety_number_words = keys.md §18 words of the same digest ({source})",
                     words == who.entry["safety_number_words"], " ".join(words))
    report.check("§10 the two safety numbers differ", alice.entry["safety_number_digits"] != bob.entry["safety_number_digits"])

    # §11: the conversation id; Alice is the creator.
    conversation = h["conversation"]
    ours = conversation_id(alice.account, h["conversation_nonce"])
    report.check("§11 conversation = SHA-256(conversation ‖ alice ‖ nonce)[0..16]", ours == conversation, ours.hex())
    report.check("§11 another creator (bob) gives another id", conversation_id(bob.account, h["conversation_nonce"]) != conversation)

    # §12: Alice's envelope of epoch 0 to Bob.
    data = h["envelope_to_bob"]
    epoch_key = h["epoch_key"]
    try:
        env = parse_envelope(data)
    except Failure as failure:
        report.check("§12 envelope_to_bob parses (4594 bytes, version 0x01)", False, str(failure))
        env = None
    if env:
        report.check("§12 envelope_to_bob parses (4594 bytes, version 0x01)", True)
        report.check("§12 envelope: conversation, epoch 0, recipient bob, adder alice (the creator, so valid at epoch 0, §11)",
                     env["conversation"] == conversation and env["epoch"] == 0 and env["recipient"] == bob.account
                     and env["adder"] == alice.account)
        signed = envelope_signed(env["header"], env["xwing_ciphertext"], env["sealed"])
        check_signature(report, "§12 envelope", alice, env["signature"], signed)
        verdict = alice.hybrid_verifies(env["signature"], signed)
        if verdict is None:
            report.skip("§12 envelope: hybrid signature verifies under alice's keys", MLDSA_MISSING)
        else:
            report.check("§12 envelope: hybrid signature verifies under alice's keys", verdict)
        check_refused(report, "§12 envelope: the signature does not verify under bob's keys",
                      bob.hybrid_verifies(env["signature"], signed))
        changed_header = flip(env["header"], 30)  # a byte of the recipient field
        check_refused(report, "§12 envelope, a changed header byte: the signature fails",
                      alice.hybrid_verifies(env["signature"], envelope_signed(changed_header, env["xwing_ciphertext"], env["sealed"])))
        if MLKEM:
            ss = mv.xwing_decapsulate(bob.xwing_seed, env["xwing_ciphertext"])
            wrap_key = hkdf(ss, label("arbor/v1/e2ee/envelope-key"))
            opened = opens(wrap_key, bytes(12), env["sealed"], env["header"])
            report.check("§12 envelope: X-Wing-decapsulated with bob's seed, wrap key = HKDF(ss, envelope-key), "
                         "opens (nonce 12 zero bytes, aad header) to epoch_key", opened == epoch_key,
                         opened.hex() if opened else "does not open")
            ours = AESGCM(wrap_key).encrypt(bytes(12), epoch_key, env["header"])
            report.check("§12 envelope: sealed recomputes from the wrap key and epoch_key", ours == env["sealed"])
            report.check("§12 envelope, a changed header byte: the AEAD fails",
                         opens(wrap_key, bytes(12), env["sealed"], changed_header) is None)
            other_ss = mv.xwing_decapsulate(alice.xwing_seed, env["xwing_ciphertext"])
            report.check("§12 envelope: decapsulated with alice's seed (another recipient), it does not open",
                         opens(hkdf(other_ss, label("arbor/v1/e2ee/envelope-key")), bytes(12), env["sealed"], env["header"]) is None)
        else:
            for what in ("opens with bob's seed to epoch_key", "a changed header byte: the AEAD fails"):
                report.skip(f"§12 envelope: {what}", MLKEM_MISSING)

    # §13: the messages.
    report.check("§17 two messages: alice's text, then bob's stream opening naming it as previous",
                 len(v["messages"]) == 2 and v["messages"][0]["kind"] == 1 and v["messages"][1]["kind"] == 2
                 and v["messages"][1]["previous"] == v["messages"][0]["id"])
    parsed = []
    for n, m in enumerate(v["messages"]):
        mh = hex_fields(m)
        sender = people.get(mh["sender"])
        what = f"§13 message {n} ({'text' if m['kind'] == 1 else 'stream'}, by {sender.name if sender else '?'})"
        header = message_header(m["kind"], conversation, m["epoch"], mh["id"], mh["sender"], m["sequence"], mh["previous"],
                                mh["nonce"])
        report.check(f"{what}: header (90 bytes) from its fields", header == mh["header"] and len(header) == 90, header.hex())
        data = mh["message"]
        report.check(f"{what}: the message starts with its header", data[:90] == header)
        key = message_key(epoch_key, conversation, m["epoch"])
        report.check(f"{what}: message_key = HKDF(epoch key, message-key ‖ conversation ‖ epoch)", key == mh["message_key"],
                     key.hex())
        plaintext = mh["plaintext"] if m["kind"] == 2 else m["plaintext"].encode("utf-8")
        body = AESGCM(key).encrypt(mh["nonce"], plaintext, message_aad(header))
        report.check(f"{what}: ciphertext ‖ tag recomputed from the given nonce, aad message ‖ header",
                     data[90:-HYBRID_SIG] == body, f"got {body.hex()}")
        report.check(f"{what}: {90 + len(plaintext) + 16 + HYBRID_SIG} bytes in all",
                     len(data) == 90 + len(plaintext) + 16 + HYBRID_SIG, f"{len(data)} bytes")
        signature = data[-HYBRID_SIG:]
        signed = message_aad(header) + body
        if sender:
            check_signature(report, what, sender, signature, signed)
        else:
            report.check(f"{what}: sender is alice or bob", False, mh["sender"].hex())
            continue
        other = bob if sender is alice else alice
        moved = header[:38] + other.account + header[54:]  # the sender field is bytes 38..54
        check_refused(report, f"{what}, sender changed to {other.name}: the signature fails under {other.name}'s keys",
                      other.hybrid_verifies(signature, message_aad(moved) + body))
        check_refused(report, f"{what}, sender changed to {other.name}: the signature fails under {sender.name}'s keys",
                      sender.hybrid_verifies(signature, message_aad(moved) + body))
        report.check(f"{what}, sender changed to {other.name}: the ciphertext does not open",
                     opens(key, mh["nonce"], body, message_aad(moved)) is None)
        parsed.append((m, mh, header, sender))

    # §14: the token stream opened by the second message.
    if len(parsed) < 2:
        report.check("§14 the stream message is present", False)
        return
    m, mh, header, sender = parsed[1]
    stream_key = h["stream_key"]
    key = message_key(epoch_key, conversation, m["epoch"])
    opened = opens(key, mh["nonce"], mh["message"][90:-HYBRID_SIG], message_aad(header))
    report.check("§14 stream_key is the stream message's plaintext (32 bytes)",
                 opened == stream_key == mh["plaintext"] and len(stream_key) == 32)
    chunk_key = hkdf(stream_key, label("arbor/v1/e2ee/stream-key") + stream_context(conversation, m["epoch"], mh["id"]))
    report.check("§14 chunk_key = HKDF(stream key, stream-key ‖ conversation ‖ epoch ‖ message id)",
                 chunk_key == h["chunk_key"], chunk_key.hex())
    aad = chunk_aad(conversation, m["epoch"], mh["id"])
    chunks = [bytes.fromhex(c["chunk"]) for c in v["chunks"]]
    report.check("§14 chunks numbered 0, 1, …, only the last final",
                 [c["index"] for c in v["chunks"]] == list(range(len(chunks)))
                 and [c["is_final"] for c in v["chunks"]] == [False] * (len(chunks) - 1) + [True])
    for c, chunk in zip(v["chunks"], chunks):
        i, final = c["index"], c["is_final"]
        piece = c["piece"].encode("utf-8")
        ours = AESGCM(chunk_key).encrypt(chunk_nonce(i, final), piece, aad)
        report.check(f"§14 chunk {i}{' (final)' if final else ''}: AES-256-GCM(chunk key, {i} (11 bytes) ‖ "
                     f"{'01' if final else '00'}, {c['piece']!r}, aad chunk ‖ conversation ‖ epoch ‖ message id)",
                     ours == chunk and len(chunk) == len(piece) + 16, f"got {ours.hex()}")
        for j in (i - 1, i + 1):
            if j >= 0:
                report.check(f"§14 chunk {i} opened as chunk {j}: fails", opens(chunk_key, chunk_nonce(j, final), chunk, aad) is None)
        report.check(f"§14 chunk {i} with the final flag flipped: fails",
                     opens(chunk_key, chunk_nonce(i, not final), chunk, aad) is None)
    digest = transcript_hash(chunks)
    report.check("§14 transcript_hash = SHA-256(len_0 (4, of the chunk) ‖ chunk_0 ‖ …)", digest == h["transcript_hash"],
                 digest.hex())
    sealed = label("arbor/v1/e2ee/stream-end") + header + len(chunks).to_bytes(8, "big") + digest
    check_signature(report, "§14 seal (stream-end ‖ stream message header ‖ chunk count ‖ transcript hash)", sender,
                    h["seal"], sealed)
    check_refused(report, "§14 seal: a count of one chunk fewer does not verify",
                  sender.hybrid_verifies(h["seal"], label("arbor/v1/e2ee/stream-end") + header
                                         + (len(chunks) - 1).to_bytes(8, "big") + transcript_hash(chunks[:-1])))


def main():
    paths = sys.argv[1:] or DEFAULT_VECTORS
    print(f"cryptography {cryptography.__version__}; "
          f"ML-DSA-65 seed import: {'available' if MLDSA else 'unavailable'}; ML-KEM-768: {'available' if MLKEM else 'unavailable'}")
    report = Report()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            v = json.load(handle)
        if "messages" in v:
            print(f"\n{path}: conversation (§10-§14, §17)")
            check_conversation(report, v)
        else:
            print(f"\n{path}: account (§3-§9)")
            check_accounts(report, v)

    print(f"\n{report.passed} passed, {report.failed} failed" + (f", {report.skipped} skipped" if report.skipped else ""))
    if report.skipped and os.environ.get("ARBOR_REQUIRE_PEERS") == "1":
        print(f"{report.skipped} checks were skipped, and ARBOR_REQUIRE_PEERS=1 requires every check to run", file=sys.stderr)
        return 1
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
