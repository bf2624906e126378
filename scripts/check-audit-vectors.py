#!/usr/bin/env python3
"""An independent check of Arbor's audit log vectors, written from docs/audit.md alone.

Recomputes every entry hash and the chain, re-derives nothing secret but the HMAC mask example
from the given audit HMAC key, and verifies each head's hybrid signature (Ed25519 and ML-DSA-65)
with the node's public key set. Needs Python 3 and `cryptography` (with ML-DSA-65 for the
post-quantum half; without it that half is reported as skipped, which ARBOR_REQUIRE_PEERS=1
turns into a failure). Usage: scripts/check-audit-vectors.py [audit.json]
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

try:
    from cryptography.hazmat.primitives.asymmetric import mldsa
except ImportError:
    mldsa = None

ED_PK, MLDSA_PK, ED_SIG = 32, 1952, 64


def entry_hash(record, previous):
    body = b"arbor/v1/audit-entry\x00" + previous + struct.pack(">Qq", record["seq"], record["time"])
    for field in ("request_id", "accessor", "operation", "keyring", "result", "client"):
        value = record[field].encode("utf-8")
        body += struct.pack(">H", len(value)) + value
    return hashlib.sha256(body).digest()


def head_valid(record, pks):
    if bytes.fromhex(record["signer"]) != hashlib.sha256(b"arbor/v1/key-id\x00" + pks).digest():
        return False, "signer is not the node's key id"
    message = b"arbor/v1/audit-head\x00" + struct.pack(">Q", record["seq"]) + bytes.fromhex(record["hash"]) + struct.pack(">q", record["time"])
    signature = base64.b64decode(record["signature"])
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(pks[:ED_PK]).verify(signature[:ED_SIG], message)
    except InvalidSignature:
        return False, "Ed25519 half does not verify"
    if mldsa is None:
        return None, "ML-DSA-65 not available in this cryptography"
    try:
        mldsa.MLDSA65PublicKey.from_public_bytes(pks[ED_PK:ED_PK + MLDSA_PK]).verify(signature[ED_SIG:], message)
    except InvalidSignature:
        return False, "ML-DSA-65 half does not verify"
    return True, ""


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "Tests/ArborCoreTests/Vectors/audit.json"
    with open(path, encoding="utf-8") as handle:
        vectors = json.load(handle)
    pks = bytes.fromhex(vectors["node_public_key_set"])
    key = bytes.fromhex(vectors["audit_hmac_key"])
    failed = skipped = passed = 0

    def check(name, ok, why=""):
        nonlocal failed, passed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL  {name}: {why}")

    for value, masked in vectors["mask_example"].items():
        check(f"mask of {value}", masked == "hmac-sha256:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest())
    previous, sequence = bytes(32), 0
    for number, line in enumerate(vectors["log"], start=1):
        record = json.loads(line)
        check(f"line {number}: keys sorted, no spaces", line == json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
        if record["type"] == "entry":
            check(f"line {number}: sequence", record["seq"] == sequence + 1)
            check(f"line {number}: previous hash", bytes.fromhex(record["prev"]) == previous)
            computed = entry_hash(record, previous)
            check(f"line {number}: hash", computed.hex() == record["hash"], f"computed {computed.hex()}")
            previous, sequence = computed, record["seq"]
        else:
            check(f"line {number}: head names the entry before it", record["seq"] == sequence and bytes.fromhex(record["hash"]) == previous)
            ok, why = head_valid(record, pks)
            if ok is None:
                skipped += 1
                print(f"skip  line {number}: {why}")
            else:
                check(f"line {number}: head signature", ok, why)
    print(f"{passed} passed, {failed} failed, {skipped} skipped (audit vectors)")
    if skipped and os.environ.get("ARBOR_REQUIRE_PEERS") == "1":
        return 1
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
