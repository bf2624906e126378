#!/usr/bin/env python3
"""Checks Arbor's key tree vectors with a second, independent implementation.

Written from docs/keys.md (not from the Swift sources): derivation (§5), public key sets and key
identifiers (§7, §8), safety numbers (§18), certificates, chains, revocations and the chain
verification algorithm (§12–§16). Needs Python 3 and the `cryptography` package; ML-DSA-65 and
ML-KEM-768 are used when the installed `cryptography` (and its OpenSSL) supports them, and the
checks that need them are reported as skipped otherwise.

Usage: scripts/check-keytree-vectors.py [keytree.json] [--wordlist FILE]
Prints one line per check and a summary; exits 0 only if no check failed.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import struct
import sys

try:
    import cryptography
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
except ImportError:  # pragma: no cover
    print("the Python package 'cryptography' is required: pip install cryptography", file=sys.stderr)
    sys.exit(2)

DEFAULT_VECTORS = "Tests/ArborCoreTests/Vectors/keytree.json"
DEFAULT_WORDLIST = "/work/shared/vectors/slip39/wordlist.txt"


# --- optional post-quantum support ------------------------------------------------------------

def _probe_mldsa():
    try:
        from cryptography.hazmat.primitives.asymmetric import mldsa
        mldsa.MLDSA65PrivateKey.from_seed_bytes(bytes(32))
        return mldsa, None
    except Exception as error:  # ImportError, UnsupportedAlgorithm, AttributeError
        return None, f"cryptography {cryptography.__version__} has no usable ML-DSA-65 ({type(error).__name__}: {error})"


def _probe_mlkem():
    try:
        from cryptography.hazmat.primitives.asymmetric import mlkem
        mlkem.MLKEM768PrivateKey.from_seed_bytes(bytes(64))
        return mlkem, None
    except Exception as error:
        return None, f"cryptography {cryptography.__version__} has no usable ML-KEM-768 ({type(error).__name__}: {error})"


MLDSA, MLDSA_MISSING = _probe_mldsa()
MLKEM, MLKEM_MISSING = _probe_mlkem()


# --- conventions (§2) -------------------------------------------------------------------------

class Failure(Exception):
    """A verification or parsing failure, carrying the error code string of docs/keys.md §2."""

    def __init__(self, code, why):
        super().__init__(f"{code}: {why}")
        self.code = code


def malformed(why):
    return Failure("malformed input", why)


def domain(text):
    return text.encode("ascii") + b"\x00"


def u8(v):
    return struct.pack(">B", v)


def u32(v):
    return struct.pack(">I", v)


def hkdf_expand(prk, info, length=32):
    """RFC 5869 HKDF-Expand with SHA-256; the secret is the PRK."""
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


class Reader:
    def __init__(self, data, what):
        self.data, self.pos, self.what = bytes(data), 0, what

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise malformed(f"{self.what} is truncated")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def short(self):
        return self.take(self.u8())

    def long(self, maximum):
        n = self.u32()
        if n > maximum:
            raise malformed(f"{self.what} has a field of {n} bytes (at most {maximum})")
        return self.take(n)

    def end(self):
        if self.pos != len(self.data):
            raise malformed(f"{self.what} has {len(self.data) - self.pos} trailing bytes")


# --- paths (§4) -------------------------------------------------------------------------------

LABEL = re.compile(r"[a-z0-9_][a-z0-9_.\-]{0,62}\Z")
MAX_DEPTH = 32


def valid_label(label):
    return bool(LABEL.match(label))


def parse_path(text):
    """Text form -> tuple of (label, branch). Raises Failure('invalid path')."""
    body = text[1:] if text.startswith("/") else text
    if body == "":
        return ()
    segments = []
    for part in body.split("/"):
        if part == "":
            raise Failure("invalid path", f"{text!r} has an empty segment")
        label, sep, number = part.partition("#")
        branch = 0
        if sep:
            if not re.fullmatch(r"[1-9][0-9]*", number) or int(number) > 0xFFFFFFFF:
                raise Failure("invalid path", f"{part!r} has a bad branch number")
            branch = int(number)
        if not valid_label(label):
            raise Failure("invalid path", f"{label!r} is not a valid label")
        segments.append((label, branch))
    if len(segments) > MAX_DEPTH:
        raise Failure("invalid path", "too deep")
    return tuple(segments)


def format_path(segments):
    if not segments:
        return "/"
    return "/".join(label if branch == 0 else f"{label}#{branch}" for label, branch in segments)


def encode_path(segments):
    out = u8(len(segments))
    for label, branch in segments:
        raw = label.encode("ascii")
        out += u8(len(raw)) + raw + u32(branch)
    return out


def read_path(reader):
    depth = reader.u8()
    if depth > MAX_DEPTH:
        raise malformed(f"{reader.what} names a path deeper than {MAX_DEPTH}")
    segments = []
    for _ in range(depth):
        raw = reader.short()
        branch = reader.u32()
        try:
            label = raw.decode("ascii")
        except UnicodeDecodeError:
            raise malformed(f"{reader.what} holds an invalid path label")
        if not valid_label(label):
            raise malformed(f"{reader.what} holds an invalid path label")
        segments.append((label, branch))
    return tuple(segments)


def parent(segments):
    return segments[:-1] if segments else None


def strict_ancestor(a, b):
    return len(a) < len(b) and b[:len(a)] == a


# --- derivation (§5) --------------------------------------------------------------------------

SEED_NAMES = ("ed25519", "ml-dsa-65", "x25519", "x-wing", "storage")


def child_secret(parent_secret, label, branch):
    raw = label.encode("ascii")
    return hkdf_expand(parent_secret, domain("arbor/v1/child") + u8(len(raw)) + raw + u32(branch))


def branch_secret(root_key, segments):
    secret = root_key
    for label, branch in segments:
        secret = child_secret(secret, label, branch)
    return secret


def epoch_secret(branch, epoch):
    secret = branch
    for e in range(1, epoch + 1):
        secret = hkdf_expand(secret, domain("arbor/v1/epoch") + u32(e))
    return secret


def key_seed(epoch_sec, name):
    return hkdf_expand(epoch_sec, domain("arbor/v1/key") + name.encode("ascii"))


def storage_key(storage_seed, purpose):
    return hkdf_expand(storage_seed, domain("arbor/v1/storage") + purpose.encode("utf-8"))


def ed25519_public(seed):
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def x25519_public(seed):
    return x25519.X25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def mldsa65_public(seed):
    return MLDSA.MLDSA65PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()


def xwing_public(seed):
    expanded = hashlib.shake_256(seed).digest(96)
    pk_m = MLKEM.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]).public_key().public_bytes_raw()
    return pk_m + x25519_public(expanded[64:96])


class KeySet:
    """The derived keys of one node at one epoch."""

    def __init__(self, root_key, segments, epoch):
        self.segments, self.epoch = segments, epoch
        self.branch = branch_secret(root_key, segments)
        self.epoch_secret = epoch_secret(self.branch, epoch)
        self.seeds = {name: key_seed(self.epoch_secret, name) for name in SEED_NAMES}
        self.ed25519 = ed25519_public(self.seeds["ed25519"])
        self.x25519 = x25519_public(self.seeds["x25519"])
        self.mldsa65 = mldsa65_public(self.seeds["ml-dsa-65"]) if MLDSA else None
        self.xwing = xwing_public(self.seeds["x-wing"]) if MLKEM else None


# --- public key sets and identifiers (§7, §8) -------------------------------------------------

ED_PK, MLDSA_PK, X_PK, XWING_PK = 32, 1952, 32, 1216
PKS_SIZE = ED_PK + MLDSA_PK + X_PK + XWING_PK
ED_SIG, MLDSA_SIG = 64, 3309


def split_pks(pks):
    a = ED_PK
    b = a + MLDSA_PK
    c = b + X_PK
    return pks[:a], pks[a:b], pks[b:c], pks[c:]


def key_id(pks):
    return hashlib.sha256(domain("arbor/v1/key-id") + pks).digest()


# --- hybrid signatures (§12) ------------------------------------------------------------------

class SignatureStats:
    mldsa_checked = 0
    mldsa_skipped = 0


def hybrid_valid(dom, body, pks, signature):
    message = domain(dom) + body
    ed_pk, mldsa_pk, _, _ = split_pks(pks)
    ed_sig, mldsa_sig = signature[:ED_SIG], signature[ED_SIG:]
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(ed_pk).verify(ed_sig, message)
        classical = True
    except (InvalidSignature, ValueError):
        classical = False
    if MLDSA is None:
        SignatureStats.mldsa_skipped += 1
        return classical
    SignatureStats.mldsa_checked += 1
    try:
        MLDSA.MLDSA65PublicKey.from_public_bytes(mldsa_pk).verify(mldsa_sig, message)
        post_quantum = True
    except (InvalidSignature, ValueError):
        post_quantum = False
    return classical and post_quantum


# --- certificates (§13) and chains (§14) ------------------------------------------------------

USAGE_ALL = 0x07
CERTIFY = 0x04
KIND_ROOT, KIND_PARENT, KIND_REKEY = 1, 2, 3


class Certificate:
    def __init__(self, data):
        r = Reader(data, "a key certificate")
        if r.take(4) != b"ARBC":
            raise malformed("not an Arbor key certificate")
        version = r.u8()
        if version != 1:
            raise Failure("unsupported version", f"certificate version {version}")
        self.kind = r.u8()
        if self.kind not in (KIND_ROOT, KIND_PARENT, KIND_REKEY):
            raise malformed("unknown certificate kind")
        self.path = read_path(r)
        self.epoch = r.u32()
        self.usage = r.u8()
        if self.usage == 0 or self.usage & ~USAGE_ALL:
            raise malformed("unknown usage bits")
        self.not_before = r.i64()
        self.not_after = r.i64()
        if self.not_before > self.not_after:
            raise malformed("validity ends before it starts")
        self.issuer_key_id = r.take(32)
        self.public_keys = r.take(PKS_SIZE)
        self.tbs = data[:r.pos]
        self.signature = r.take(ED_SIG + MLDSA_SIG)
        r.end()
        self.encoded = bytes(data)
        self.key_id = key_id(self.public_keys)

    def signed_by(self, pks):
        return self.issuer_key_id == key_id(pks) and hybrid_valid("arbor/v1/certificate", self.tbs, pks, self.signature)


def parse_chain(data):
    r = Reader(data, "a certificate chain")
    if r.take(4) != b"ARCC":
        raise malformed("not an Arbor certificate chain")
    version = r.u8()
    if version != 1:
        raise Failure("unsupported version", f"chain version {version}")
    count = r.u16()
    if count < 1 or count > 128:
        raise malformed("a chain holds 1 to 128 certificates")
    certificates = [Certificate(r.long(1 << 16)) for _ in range(count)]
    r.end()
    return certificates


def encode_chain(certificates):
    out = b"ARCC" + u8(1) + struct.pack(">H", len(certificates))
    for c in certificates:
        out += u32(len(c.encoded)) + c.encoded
    return out


# --- revocations (§16) ------------------------------------------------------------------------

class Revocation:
    def __init__(self, data):
        r = Reader(data, "a revocation")
        if r.take(4) != b"ARBV":
            raise malformed("not an Arbor revocation")
        version = r.u8()
        if version != 1:
            raise Failure("unsupported version", f"revocation version {version}")
        self.revoked_key_id = r.take(32)
        self.revoked_path = read_path(r)
        self.reason = r.u8()
        if self.reason > 3:
            raise malformed("unknown revocation reason")
        self.time = r.i64()
        self.revoker_path = read_path(r)
        self.revoker_keys = r.take(PKS_SIZE)
        tbs = data[:r.pos]
        signature = r.take(ED_SIG + MLDSA_SIG)
        r.end()
        if not strict_ancestor(self.revoker_path, self.revoked_path):
            raise Failure("wrong issuer", "the revoker is not an ancestor of the revoked path")
        if not hybrid_valid("arbor/v1/revocation", tbs, self.revoker_keys, signature):
            raise Failure("invalid signature", "revocation signature")
        self.encoded = bytes(data)
        self.revoker_key_id = key_id(self.revoker_keys)


def parse_revocation_list(data):
    """Returns (revocations as a sorted, deduplicated list, whether the input was already canonical)."""
    r = Reader(data, "a revocation list")
    if r.take(4) != b"ARRL":
        raise malformed("not an Arbor revocation list")
    version = r.u8()
    if version != 1:
        raise Failure("unsupported version", f"revocation list version {version}")
    count = r.u32()
    if count > 100_000:
        raise malformed("too many revocations")
    entries = [Revocation(r.long(1 << 16)) for _ in range(count)]
    r.end()
    unique = {e.encoded: e for e in entries}
    ordered = [unique[k] for k in sorted(unique)]
    canonical = [e.encoded for e in entries] == [e.encoded for e in ordered]
    return ordered, canonical


# --- chain verification (§15) -----------------------------------------------------------------

def check_validity(c, t):
    if t < c.not_before:
        raise Failure("certificate not yet valid", f"{format_path(c.path)} before {c.not_before}")
    if t > c.not_after:
        raise Failure("certificate expired", f"{format_path(c.path)} after {c.not_after}")


def verify_chain(chain, anchors, revocations, t):
    """Returns 'valid' or raises Failure with the error code of docs/keys.md §15."""
    root = chain[0]
    if root.kind != KIND_ROOT or root.path != () or not root.signed_by(root.public_keys):
        raise Failure("invalid signature", "the chain does not start with a valid self-signed root")
    if root.key_id not in anchors:
        raise Failure("untrusted root", "the root is not an anchor")
    check_validity(root, t)
    for i in range(1, len(chain)):
        issuer, subject = chain[i - 1], chain[i]
        if subject.issuer_key_id != issuer.key_id:
            raise Failure("wrong issuer", f"{format_path(subject.path)} names another issuer")
        if subject.kind == KIND_ROOT:
            raise Failure("wrong issuer", "a root certificate inside the chain")
        if subject.kind == KIND_PARENT:
            if parent(subject.path) != issuer.path:
                raise Failure("wrong issuer", f"{format_path(issuer.path)} is not the parent of {format_path(subject.path)}")
            if not issuer.usage & CERTIFY:
                raise Failure("usage not allowed", f"{format_path(issuer.path)} may not certify")
        else:
            if subject.path != issuer.path or issuer.epoch == 0xFFFFFFFF or subject.epoch != issuer.epoch + 1:
                raise Failure("invalid rekey", f"bad self-rekey of {format_path(subject.path)}")
            if subject.usage & ~issuer.usage:
                raise Failure("usage not allowed", "the rekey widens the usage")
        if not hybrid_valid("arbor/v1/certificate", subject.tbs, issuer.public_keys, subject.signature):
            raise Failure("invalid signature", f"certificate of {format_path(subject.path)}")
        check_validity(subject, t)
        for v in revocations:
            # §16.1: key-compromise (reason 1) covers every epoch at exactly the revoked path.
            if v.revoked_key_id != subject.key_id and not (v.reason == 1 and v.revoked_path == subject.path):
                continue
            if any(a.key_id == v.revoker_key_id and strict_ancestor(a.path, subject.path) and a.usage & CERTIFY for a in chain[:i]):
                raise Failure("revoked", f"{format_path(subject.path)} revoked by {format_path(v.revoker_path)}")
    return "valid"


# --- safety number (§18) ----------------------------------------------------------------------

def safety_number(pks, words):
    return render_safety_number(hashlib.sha512(domain("arbor/v1/safety-number") + pks).digest(), words)


def render_safety_number(digest, words):
    """The digits and words of §18 from a 64-byte digest (docs/e2ee.md §10 renders its own digest so)."""
    groups = ["%05d" % (int.from_bytes(digest[5 * i:5 * i + 5], "big") % 100000) for i in range(12)]
    bits = int.from_bytes(digest[:15], "big")  # the first 120 bits, MSB first
    indexes = [(bits >> (110 - 10 * i)) & 0x3FF for i in range(12)]
    return " ".join(groups), ([words[i] for i in indexes] if words else None)


# --- the checks -------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {name}")
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f": {detail}" if detail else ""))

    def skip(self, name, why):
        self.skipped += 1
        print(f"skip  {name}: {why}")


def check_nodes(report, vectors, root_key):
    derived = {}
    for node in vectors["nodes"]:
        name = f"node {node['path']} epoch {node['epoch']}"
        segments = parse_path(node["path"])
        report.check(f"{name}: path text is canonical", format_path(segments) == node["path"])
        keys = KeySet(root_key, segments, node["epoch"])
        derived[(segments, node["epoch"])] = keys
        report.check(f"{name}: branch secret", keys.branch.hex() == node["branch_secret"])
        report.check(f"{name}: epoch secret", keys.epoch_secret.hex() == node["epoch_secret"])
        report.check(f"{name}: seed names", sorted(node["seeds"]) == sorted(SEED_NAMES), str(sorted(node["seeds"])))
        for seed_name in SEED_NAMES:
            report.check(f"{name}: seed {seed_name}", keys.seeds[seed_name].hex() == node["seeds"].get(seed_name))
        report.check(f"{name}: storage key 'default'",
                     storage_key(keys.seeds["storage"], "default").hex() == node["storage_key_default"])
        pks = bytes.fromhex(node["public_key_set"])
        report.check(f"{name}: public key set is {PKS_SIZE} bytes", len(pks) == PKS_SIZE, str(len(pks)))
        ed_pk, mldsa_pk, x_pk, xwing_pk = split_pks(pks)
        report.check(f"{name}: Ed25519 public key", ed_pk == keys.ed25519)
        report.check(f"{name}: X25519 public key", x_pk == keys.x25519)
        if MLDSA:
            report.check(f"{name}: ML-DSA-65 public key", mldsa_pk == keys.mldsa65)
        else:
            report.skip(f"{name}: ML-DSA-65 public key", MLDSA_MISSING)
        if MLKEM:
            report.check(f"{name}: X-Wing public key", xwing_pk == keys.xwing)
        else:
            report.skip(f"{name}: X-Wing public key", MLKEM_MISSING)
        report.check(f"{name}: key id", key_id(pks).hex() == node["key_id"])
    return derived


def check_safety_number(report, vectors, words):
    safety = vectors["safety_number"]
    pks = bytes.fromhex(safety["root_public_key_set"])
    root_nodes = [n for n in vectors["nodes"] if n["path"] == "/" and n["epoch"] == 0]
    report.check("safety number: root public key set is the root's (/, epoch 0)",
                 bool(root_nodes) and root_nodes[0]["public_key_set"] == safety["root_public_key_set"])
    digits, word_list = safety_number(pks, words)
    report.check("safety number: digits", digits == safety["digits"], f"computed {digits}")
    if words is None:
        report.skip("safety number: words", "no SLIP-39 word list (pass --wordlist FILE)")
    else:
        report.check("safety number: words", word_list == safety["words"], f"computed {' '.join(word_list)}")


def check_chains(report, vectors, root_key):
    root_nodes = [n for n in vectors["nodes"] if n["path"] == "/" and n["epoch"] == 0]
    root_key_id = root_nodes[0]["key_id"] if root_nodes else None
    for index, case in enumerate(vectors["chains"]):
        name = f"chain {index + 1} ({case['description']})"
        data = bytes.fromhex(case["chain"])
        try:
            chain = parse_chain(data)
            revocations, canonical = parse_revocation_list(bytes.fromhex(case["revocation_list"]))
        except Failure as failure:
            report.check(f"{name}: parses", False, str(failure))
            continue
        report.check(f"{name}: parses ({len(chain)} certificates, {len(revocations)} revocations)", True)
        report.check(f"{name}: chain re-encodes identically", encode_chain(chain) == data)
        report.check(f"{name}: revocation list is sorted and free of duplicates", canonical)
        if case["expected"] == "untrusted root":
            report.check(f"{name}: anchor is another root's key id", case["anchor_key_id"] != root_key_id)
        else:
            report.check(f"{name}: anchor is the vector root's key id", case["anchor_key_id"] == root_key_id)
        # Every certified key is the derived key of its path and epoch; the Ed25519 signature is
        # deterministic, so it can be recomputed from the issuer's derived seed.
        for position, cert in enumerate(chain):
            label = f"{name}: certificate {position} ({format_path(cert.path)} epoch {cert.epoch})"
            keys = KeySet(root_key, cert.path, cert.epoch)
            ed_pk, mldsa_pk, x_pk, xwing_pk = split_pks(cert.public_keys)
            same = ed_pk == keys.ed25519 and x_pk == keys.x25519
            same = same and (keys.mldsa65 is None or mldsa_pk == keys.mldsa65) and (keys.xwing is None or xwing_pk == keys.xwing)
            report.check(f"{label}: public keys are the derived ones", same)
            signer = cert if position == 0 else chain[position - 1]
            if signer.key_id == cert.issuer_key_id:
                signer_keys = KeySet(root_key, signer.path, signer.epoch)
                message = domain("arbor/v1/certificate") + cert.tbs
                resigned = ed25519.Ed25519PrivateKey.from_private_bytes(signer_keys.seeds["ed25519"]).sign(message)
                if resigned == cert.signature[:ED_SIG]:
                    report.check(f"{label}: Ed25519 signature recomputes (RFC 8032)", True)
                else:
                    # Only a case that expects a bad signature may carry an Ed25519 half that differs.
                    report.check(f"{label}: Ed25519 signature differs, as the case expects", case["expected"] == "invalid signature")
        for v in revocations:
            report.check(f"{name}: revocation of {format_path(v.revoked_path)} by {format_path(v.revoker_path)} verifies", True)
        skipped_before = SignatureStats.mldsa_skipped
        try:
            outcome = verify_chain(chain, {bytes.fromhex(case["anchor_key_id"])}, revocations, case["time"])
        except Failure as failure:
            outcome = failure.code
        expected = case["expected"]
        if outcome == expected:
            report.check(f"{name}: verifies as '{expected}'", True)
        elif MLDSA is None and SignatureStats.mldsa_skipped > skipped_before and outcome == "valid" and expected == "invalid signature":
            report.skip(f"{name}: expected '{expected}'", f"only the ML-DSA-65 signature is bad, and {MLDSA_MISSING}")
        else:
            report.check(f"{name}: verifies as '{expected}'", False, f"got '{outcome}'")


def load_words(path):
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        words = [line.strip() for line in handle if line.strip()]
    if len(words) != 1024:
        raise SystemExit(f"{path}: expected 1024 words, found {len(words)}")
    return words


def main():
    parser = argparse.ArgumentParser(description="Check Arbor key tree vectors against docs/keys.md.")
    parser.add_argument("vectors", nargs="?", default=DEFAULT_VECTORS, help=f"the vector file (default {DEFAULT_VECTORS})")
    parser.add_argument("--wordlist", default=DEFAULT_WORDLIST, help=f"the SLIP-39 word list (default {DEFAULT_WORDLIST})")
    args = parser.parse_args()

    with open(args.vectors, encoding="utf-8") as handle:
        vectors = json.load(handle)
    words = load_words(args.wordlist)

    print(f"cryptography {cryptography.__version__}; "
          f"ML-DSA-65: {'available' if MLDSA else 'unavailable'}; ML-KEM-768: {'available' if MLKEM else 'unavailable'}")
    if MLDSA_MISSING:
        print(f"note: ML-DSA-65 signatures and public keys are not checked: {MLDSA_MISSING}")
    if MLKEM_MISSING:
        print(f"note: X-Wing public keys are not checked: {MLKEM_MISSING}")

    report = Report()
    root_key = bytes.fromhex(vectors["root_key"])
    report.check("root key is 32 bytes", len(root_key) == 32)
    check_nodes(report, vectors, root_key)
    check_safety_number(report, vectors, words)
    check_chains(report, vectors, root_key)

    print(f"\n{report.passed} passed, {report.failed} failed, {report.skipped} skipped "
          f"(hybrid signatures checked: ML-DSA-65 {SignatureStats.mldsa_checked}, skipped {SignatureStats.mldsa_skipped})")
    if report.skipped and os.environ.get("ARBOR_REQUIRE_PEERS") == "1":
        print(f"{report.skipped} checks were skipped, and ARBOR_REQUIRE_PEERS=1 requires every check to run", file=sys.stderr)
        return 1
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
