#!/usr/bin/env python3
"""Checks Arbor's E2EE account vectors with a second, independent implementation.

Written from docs/e2ee.md §2-§9 (not from the Swift sources): the password keys (§3: PBKDF2, then
the HKDF split into the key-encryption key and the Ed25519 login seed), wrapped keys (§4: their
bytes, their opening, and their refusal under another purpose, another account, a changed byte or
a bad header), the identity public keys from their seeds (§5: X-Wing per
draft-connolly-cfrg-xwing-kem-06, Ed25519, ML-DSA-65 from its FIPS 204 seed), the recovery words and
key (§6) and the login signature (§7). Needs Python 3 and the `cryptography` package; the X-Wing and
ML-DSA-65 checks are reported as skipped when it lacks ML-KEM-768 or ML-DSA-65 seed import, and a skip
fails under ARBOR_REQUIRE_PEERS=1. The SLIP-39 word list comes from the shamir-mnemonic package (the
reference implementation) or, without it, from Sources/ArborCore/Trust/Wordlist.swift.

Usage: scripts/check-e2ee-vectors.py [e2ee-accounts.json]
Prints one line per check and a summary; exits 0 only if no check failed.
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
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
except ImportError:  # pragma: no cover
    print("the Python package 'cryptography' is required: pip install cryptography", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = "Tests/ArborE2EETests/Vectors/e2ee-accounts.json"
SWIFT_WORDLIST = os.path.join(HERE, "..", "Sources", "ArborCore", "Trust", "Wordlist.swift")
PURPOSES = ("master/password", "master/recovery", "identity")


# The ML-DSA-65 and ML-KEM-768 probes and the Failure type are the key-tree checker's.
_spec = importlib.util.spec_from_file_location("keytree", os.path.join(HERE, "check-keytree-vectors.py"))
kt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kt)
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

def xwing_public(seed):
    """draft-connolly-cfrg-xwing-kem-06 key generation from the 32-byte seed: SHAKE256(seed, 96)
    gives the ML-KEM-768 seed (d ‖ z, 64 bytes) and the X25519 secret (32); pk = pk_M ‖ pk_X."""
    expanded = hashlib.shake_256(seed).digest(96)
    pk_m = MLKEM.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]).public_key().public_bytes_raw()
    pk_x = x25519.X25519PrivateKey.from_private_bytes(expanded[64:96]).public_key().public_bytes_raw()
    return pk_m + pk_x


def mldsa65_public(seed):
    return MLDSA.MLDSA65PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()


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

def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VECTORS
    with open(path, encoding="utf-8") as handle:
        v = json.load(handle)
    h = {k: bytes.fromhex(x) for k, x in v.items() if isinstance(x, str) and re.fullmatch(r"(?:[0-9a-f]{2})*", x)}
    account = h["account"]
    print(f"cryptography {cryptography.__version__}; "
          f"ML-DSA-65 seed import: {'available' if MLDSA else 'unavailable'}; ML-KEM-768: {'available' if MLKEM else 'unavailable'}")
    report = Report()

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

    print(f"\n{report.passed} passed, {report.failed} failed" + (f", {report.skipped} skipped" if report.skipped else ""))
    if report.skipped and os.environ.get("ARBOR_REQUIRE_PEERS") == "1":
        print(f"{report.skipped} checks were skipped, and ARBOR_REQUIRE_PEERS=1 requires every check to run", file=sys.stderr)
        return 1
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
