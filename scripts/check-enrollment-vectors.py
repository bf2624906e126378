#!/usr/bin/env python3
"""Checks Arbor's enrollment bundle vectors with a second, independent implementation.

Written from docs/cluster.md §16 (not from the Swift sources): the one-time key id and code
(§16.2), the bundle layout and its parsing order (§16.3), the node's verification steps 2–8 and
their error codes (§16.4), with the vectors as §16.5 describes them. Certificates, chains, hybrid
signatures and derivation come from scripts/check-keytree-vectors.py (docs/keys.md), trust
bundles from scripts/check-cluster-vectors.py, and the embedded node key and keyring files from
scripts/check-keyfile-vectors.py (docs/keys.md §11, docs/formats.md "Keyring file"). Step 1 (opening
the age file sealed to the one-time key) is not checked: the vectors hold the signed payload,
unsealed, and the script says so. Needs Python 3 and `cryptography` with ML-DSA-65 (skipped
without it, or failed under ARBOR_REQUIRE_PEERS=1); the X-Wing public key of the one-time seed
also needs ML-KEM-768.

Usage: scripts/check-enrollment-vectors.py [cluster-enrollment.json]
Prints one line per check and a summary; exits 0 only if no check failed.
"""

import base64
import hashlib
import importlib.util
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = "Tests/ArborCoreTests/Vectors/cluster-enrollment.json"


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cv = _load("cluster", "check-cluster-vectors.py")
kf = _load("keyfile", "check-keyfile-vectors.py")
kt = cv.kt
Failure, malformed, Reader = kt.Failure, kt.malformed, kt.Reader

CERTIFY = 0x04
CLOCK_SKEW = 300  # §16.4 step 3: issued at − 300 ≤ t
LONG = 1 << 24  # §16.3: "Long fields are at most 2^24 bytes"


# --- §16.2 --------------------------------------------------------------------------------------

def one_time_key_id(public_key):
    return hashlib.sha256(kt.domain("arbor/v1/enrollment-key") + public_key).digest()


def code(key_id):
    return "-".join("%05d" % (int.from_bytes(key_id[5 * i:5 * i + 5], "big") % 100000) for i in range(4))


# --- armor (docs/keys.md §9), for the embedded key and keyring files ---------------------------

def dearmor(data, label):
    """docs/keys.md §9, reading steps 1–6; the key file readers report a failure as `corrupt file`."""
    def corrupt(why):
        return Failure("corrupt file", f"armor: {why}")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise corrupt("not ASCII") from None
    lines = [line.strip(" \t") for line in re.split(r"\r?\n", text)]
    while lines and lines[0] == "":
        lines.pop(0)
    while lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or lines[0] != f"-----BEGIN {label}-----" or lines[-1] != f"-----END {label}-----":
        raise corrupt(f"not an {label} armor")
    body = lines[1:-1]
    if any(len(line) != 64 for line in body[:-1]) or (body and len(body[-1]) > 64):
        raise corrupt("lines are not of 64 characters")
    joined = "".join(body)
    try:
        raw = base64.b64decode(joined, validate=True)
    except ValueError:
        raise corrupt("bad base64") from None
    if base64.b64encode(raw).decode() != joined:
        raise corrupt("non-canonical base64")
    return raw


def read_node_key(armored):
    try:
        return kf.read_node_key(dearmor(armored, "ARBOR NODE KEY"), None)
    except kf.Refused as refusal:
        raise Failure(refusal.code, str(refusal)) from None


def read_keyring(armored):
    try:
        content = kf.read_keyring(dearmor(armored, "ARBOR KEYRING"), None)
    except kf.Refused as refusal:
        raise Failure(refusal.code, str(refusal)) from None
    # docs/formats.md, "Keyring file": the rules the body's reader adds to its layout.
    active, minimum = content["active_epoch"], content["minimum_epoch"]
    epochs = [int(e) for e in content["epoch_seeds"]]
    if content["cipher"] not in (1, 2) or not 1 <= minimum <= active or epochs != sorted(set(epochs)) \
            or any(not minimum <= e <= active for e in epochs) or active not in epochs:
        raise Failure("corrupt file", "keyring epochs")
    return content


# --- §16.3 --------------------------------------------------------------------------------------

def valid_endpoint(raw):
    try:
        url = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return url.startswith(("http://", "https://")) and not any(c.isspace() for c in url)


class Bundle:
    def __init__(self, data):
        r = Reader(data, "an enrollment bundle")
        if r.take(4) != b"AREN":
            raise malformed("not an enrollment bundle")
        version = r.u8()
        if version != 1:
            raise Failure("unsupported version", f"bundle version {version}")
        self.key_id = r.take(32)
        self.issued_at = int.from_bytes(r.take(8), "big")
        self.expires_at = int.from_bytes(r.take(8), "big")
        node_key, node_chain, parent_chain = r.long(LONG), r.long(LONG), r.long(LONG)
        count = r.u16()
        if count > 1024:
            raise malformed("more than 1024 keyrings")
        keyrings = [r.long(LONG) for _ in range(count)]
        count = r.u16()
        if count > 256:
            raise malformed("more than 256 trust bundles")
        trust = [r.long(LONG) for _ in range(count)]
        count = r.u8()
        if count > 16:
            raise malformed("more than 16 endpoints")
        self.endpoints = []
        for _ in range(count):
            raw = r.short()
            if not valid_endpoint(raw):
                raise malformed("an endpoint is not an http:// or https:// URL")
            self.endpoints.append(raw.decode("utf-8"))
        self.tbs = bytes(data[:r.pos])
        self.signature = r.take(kt.ED_SIG + kt.MLDSA_SIG)
        r.end()
        # "after issued at": the table's rule; §16.3's parsing order does not place it (nor step 3).
        if self.expires_at <= self.issued_at:
            raise malformed("expires before it is issued")
        # Then the embedded files and chains, as their own formats say.
        self.node_key = read_node_key(node_key)
        self.node_chain = kt.parse_chain(node_chain)
        self.parent_chain_bytes = parent_chain
        self.parent_chain = kt.parse_chain(parent_chain)
        self.keyrings = [read_keyring(k) for k in keyrings]
        names = [k["name"] for k in self.keyrings]
        if len(set(names)) != len(names):
            raise malformed("a keyring named twice")
        self.trust = [cv.parse_trust_bundle(b) for b in trust]


def node_key_id(node_key):
    """The key id (docs/keys.md §8) of the keys the node key file's branch secret gives at its epoch."""
    secret = kt.epoch_secret(bytes.fromhex(node_key["branch_secret"]), node_key["epoch"])
    seeds = {name: kt.key_seed(secret, name) for name in kt.SEED_NAMES}
    pks = kt.ed25519_public(seeds["ed25519"]) + kt.mldsa65_public(seeds["ml-dsa-65"]) \
        + kt.x25519_public(seeds["x25519"]) + kt.xwing_public(seeds["x-wing"])
    return kt.key_id(pks)


def prefix_through(chain, path):
    """`CertificateChain.prefix(through:)`, read as: up to the last certificate of `path`."""
    last = max((i for i, c in enumerate(chain) if c.path == path), default=None)
    return None if last is None else chain[:last + 1]


def verify(bundle, expected_key_id, anchor, parent, t):
    """§16.4 steps 2–8, in order; the parse (the end of step 1) has been done."""
    if bundle.key_id != expected_key_id:
        raise Failure("fingerprint mismatch", "the bundle names another one-time key")
    if t < bundle.issued_at - CLOCK_SKEW:
        raise Failure("certificate not yet valid", "issued later")
    if t > bundle.expires_at:
        raise Failure("certificate expired", "the bundle expired")
    kt.verify_chain(bundle.parent_chain, {anchor.key_id}, [], t)
    signer = bundle.parent_chain[-1]
    if re.fullmatch(r"[0-9a-f]{64}", parent):
        if signer.key_id.hex() != parent:
            raise Failure("not authorised", "signed by another key than the expected parent's")
    elif signer.path != kt.parse_path(parent):
        raise Failure("not authorised", f"signed by {kt.format_path(signer.path)}, not {parent}")
    if not kt.hybrid_valid("arbor/v1/enrollment", bundle.tbs, signer.public_keys, bundle.signature):
        raise Failure("invalid signature", "bundle signature")
    node_path = kt.parse_path(bundle.node_key["path"])
    if not signer.usage & CERTIFY:
        raise Failure("usage not allowed", "the parent may not certify")
    if not kt.strict_ancestor(signer.path, node_path):
        raise Failure("not authorised", "the parent is not an ancestor of the node")
    kt.verify_chain(bundle.node_chain, {anchor.key_id}, [], t)
    prefix = prefix_through(bundle.node_chain, signer.path)
    if prefix is None or kt.encode_chain(prefix) != bundle.parent_chain_bytes:
        raise Failure("not authorised", "the node's chain does not pass through the parent's")
    last = bundle.node_chain[-1]
    if last.path != node_path or last.key_id != node_key_id(bundle.node_key):
        raise Failure("conflict", "the node's chain does not end at the node key")


def check_valid_content(report, name, bundle, root_key, time):
    """What §16.5 says the valid bundle holds, each value re-derived from the root key."""
    key = bundle.node_key
    report.check(f"{name}: the node key is eu/node-2's", key["path"] == "eu/node-2", key["path"])
    report.check(f"{name}: its branch secret derives from root_key (docs/keys.md §5.1)",
                 key["branch_secret"] == kt.branch_secret(root_key, kt.parse_path(key["path"])).hex())
    signer = bundle.parent_chain[-1]
    report.check(f"{name}: the signer is eu", kt.format_path(signer.path) == "eu")
    signer_keys = kt.KeySet(root_key, signer.path, signer.epoch)
    ed = kt.ed25519.Ed25519PrivateKey.from_private_bytes(signer_keys.seeds["ed25519"])
    report.check(f"{name}: the Ed25519 half of the signature recomputes from eu's derived key (RFC 8032)",
                 ed.sign(kt.domain("arbor/v1/enrollment") + bundle.tbs) == bundle.signature[:kt.ED_SIG])
    report.check(f"{name}: issued at {bundle.issued_at}, expires at {bundle.expires_at}: "
                 f"{bundle.expires_at - bundle.issued_at} s, within 60 s … 30 days",
                 60 <= bundle.expires_at - bundle.issued_at <= 30 * 86400 and bundle.issued_at - CLOCK_SKEW <= time)
    names = {k["name"]: k for k in bundle.keyrings}
    report.check(f"{name}: one keyring, payments", sorted(names) == ["payments"], str(sorted(names)))
    if "payments" in names:
        ring = names["payments"]
        report.check(f"{name}: payments holds epochs 1 and 2", sorted(ring["epoch_seeds"], key=int) == ["1", "2"],
                     str(sorted(ring["epoch_seeds"])))
        owner = kt.branch_secret(root_key, kt.parse_path(ring["owner"]))
        raw = ring["name"].encode()
        # §16.5 does not say where the seeds come from, and the enrollment rules do not check them (a
        # parent is trusted with what it grants): a seed that is not the derived one is a note, not a failure.
        for epoch, seed in ring["epoch_seeds"].items():
            info = kt.domain("arbor/v1/keyring") + kt.u8(len(raw)) + raw + kt.u32(int(epoch))
            if kt.hkdf_expand(owner, info).hex() == seed:
                report.check(f"{name}: payments epoch {epoch} seed re-derives from its owner {ring['owner']} (docs/formats.md)", True)
            else:
                print(f"note  {name}: payments epoch {epoch} seed ({seed[:8]}…) is not the one docs/formats.md derives "
                      f"from its owner {ring['owner']}: a stand-in, which §16.5 does not mention")
    report.check(f"{name}: one trust bundle, berlin", [n for n, _ in bundle.trust] == ["berlin"], str([n for n, _ in bundle.trust]))
    report.check(f"{name}: one endpoint ({', '.join(bundle.endpoints)})", len(bundle.endpoints) == 1)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VECTORS
    with open(path, encoding="utf-8") as handle:
        vectors = json.load(handle)
    if kt.MLDSA is None or kt.MLKEM is None:
        # Every bundle is signed (half ML-DSA-65), and its node key id covers an ML-DSA and an X-Wing key.
        print(f"skipped: the enrollment vectors need ML-DSA-65 and ML-KEM-768: {kt.MLDSA_MISSING or kt.MLKEM_MISSING}")
        return 1 if os.environ.get("ARBOR_REQUIRE_PEERS") == "1" else 0
    print("note: §16.4 step 1 (opening the age file sealed to the one-time key, and its errors `no matching key` "
          "and `authentication failed`) is not checked: the vectors hold the signed bundle unsealed (§16.5)")
    report = kt.Report()
    root_key = bytes.fromhex(vectors["root_key"])
    root = kt.Certificate(bytes.fromhex(vectors["root_certificate"]))
    root_keys = kt.KeySet(root_key, (), 0)
    report.check("the root certificate holds the root key's keys",
                 kt.split_pks(root.public_keys) == (root_keys.ed25519, root_keys.mldsa65, root_keys.x25519, root_keys.xwing))

    public = bytes.fromhex(vectors["one_time_public_key"])
    report.check("one_time_public_key is 1216 bytes", len(public) == kt.XWING_PK, str(len(public)))
    report.check("one_time_public_key is the X-Wing key of one_time_seed",
                 kt.xwing_public(bytes.fromhex(vectors["one_time_seed"])) == public)
    key_id = one_time_key_id(public)
    report.check("one_time_key_id recomputes (§16.2)", key_id.hex() == vectors["one_time_key_id"], key_id.hex())
    report.check(f"code recomputes (§16.2): {code(key_id)}", code(key_id) == vectors["code"], vectors["code"])

    expected_key_id = bytes.fromhex(vectors["one_time_key_id"])
    for case in vectors["cases"]:
        name = case["description"]
        try:
            bundle = Bundle(bytes.fromhex(case["bundle"]))
            verify(bundle, expected_key_id, root, case["parent"], case["time"])
            outcome, why = "valid", ""
        except Failure as failure:
            bundle, outcome, why = None, failure.code, f" ({failure})"
        report.check(f"{name}: {outcome}{why}", outcome == case["expected"], f"expected {case['expected']}")
        if outcome == "valid" and case["expected"] == "valid":
            check_valid_content(report, name, bundle, root_key, case["time"])

    print(f"\n{report.passed} passed, {report.failed} failed")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
