#!/usr/bin/env python3
"""Checks Arbor's root transition vectors with a second, independent implementation.

Written from docs/keys.md §20 (not from the Swift sources). Certificates, hybrid signatures and
safety numbers (§12, §13, §18) come from scripts/check-keytree-vectors.py, the independent
implementation of docs/keys.md. Needs Python 3 and the `cryptography` package with ML-DSA-65:
without it no transition can be checked, and the script says it skipped them (and fails under
ARBOR_REQUIRE_PEERS=1, as the other checkers do).

Usage: scripts/check-root-transition-vectors.py [root-transition.json]
Prints one line per check and a summary; exits 0 only if no check failed.
"""

import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = "Tests/ArborCoreTests/Vectors/root-transition.json"

_spec = importlib.util.spec_from_file_location("keytree", os.path.join(HERE, "check-keytree-vectors.py"))
kt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kt)
Failure, malformed, Reader = kt.Failure, kt.malformed, kt.Reader

SIGNATURE = kt.ED_SIG + kt.MLDSA_SIG


def self_signed_root(certificate):
    return certificate.kind == kt.KIND_ROOT and certificate.signed_by(certificate.public_keys)


class Transition:
    """§20, reading: the two certificates, the signed bytes and both signatures."""

    def __init__(self, data):
        self.old, self.new, self.body, self.old_signature, self.new_signature = read_transition(data)

    def verify(self, anchor):
        """The new root certificate, or raises Failure with the error code a reader must give."""
        if self.old.encoded != anchor.encoded:
            raise Failure("untrusted root", "the transition does not start at the trusted root")
        old_valid = kt.hybrid_valid("arbor/v1/root-transition/old", self.body, self.old.public_keys, self.old_signature)
        new_valid = kt.hybrid_valid("arbor/v1/root-transition/new", self.body, self.new.public_keys, self.new_signature)
        if not (old_valid and new_valid):
            raise Failure("invalid signature", "not signed by both roots")
        return self.new


def verify_transition(data, anchor):
    """The new root certificate, or raises Failure with the error code a reader must give."""
    return Transition(data).verify(anchor)


def read_transition(data):
    r = Reader(data, "a root transition")
    if r.take(4) != b"ARRT":
        raise malformed("not an Arbor root transition")
    version = r.u8()
    if version != 1:
        raise Failure("unsupported version", f"root transition version {version}")
    old = kt.Certificate(r.long(1 << 16))
    new = kt.Certificate(r.long(1 << 16))
    time = r.i64()
    body = data[:r.pos]
    old_signature = r.take(SIGNATURE)
    new_signature = r.take(SIGNATURE)
    r.end()
    if not (self_signed_root(old) and self_signed_root(new)):
        raise malformed("a root transition joins two self-signed root certificates")
    if old.key_id == new.key_id:
        raise malformed("the new root is the old root")
    if not (new.not_before <= time <= new.not_after):
        raise malformed("the new root is not valid at the time of the transition")
    return old, new, body, old_signature, new_signature


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VECTORS
    with open(path, encoding="utf-8") as handle:
        vectors = json.load(handle)
    if kt.MLDSA is None:
        print(f"skipped: the root transition vectors need ML-DSA-65, and {kt.MLDSA_MISSING}")
        return 1 if os.environ.get("ARBOR_REQUIRE_PEERS") == "1" else 0
    report = kt.Report()
    words = None
    if os.path.exists(kt.DEFAULT_WORDLIST):
        with open(kt.DEFAULT_WORDLIST, encoding="utf-8") as handle:
            words = handle.read().split()
    anchor = kt.Certificate(bytes.fromhex(vectors["old_root_certificate"]))
    new_root = kt.Certificate(bytes.fromhex(vectors["new_root_certificate"]))
    for name, certificate in (("old", anchor), ("new", new_root)):
        keys = kt.KeySet(bytes.fromhex(vectors[f"{name}_root_key"]), (), 0)
        report.check(f"the {name} root certificate holds its root key's keys",
                     kt.split_pks(certificate.public_keys)[:2] == (keys.ed25519, keys.mldsa65) and self_signed_root(certificate))
    for case in vectors["cases"]:
        try:
            new = verify_transition(bytes.fromhex(case["transition"]), anchor)
            outcome = "valid"
            digits, _ = kt.safety_number(new.public_keys, words)
            report.check(f"{case['description']}: the new safety number", digits == case.get("new_safety_number"), digits)
            report.check(f"{case['description']}: the new root", new.encoded == new_root.encoded)
        except Failure as failure:
            outcome = failure.code
        report.check(f"{case['description']}: {case['expected']}", outcome == case["expected"], f"got {outcome}")
    print(f"\n{report.passed} passed, {report.failed} failed")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
