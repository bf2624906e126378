#!/usr/bin/env python3
"""Checks Arbor's branch assignment and leaf range vectors with a second, independent implementation.

Written from docs/cluster.md, "Branch assignment through etcd", "Leaf ranges through etcd" and
"Test vectors for assignments and leaf ranges" (not from the Swift sources): the assignments value
and its check against rendezvous hashing, the leaves record's key and value, and the reader's
rules for both (authorisation, replay, rollback, deletion). Records, chains and hybrid signatures
come from scripts/check-cluster-vectors.py and scripts/check-keytree-vectors.py. Needs Python 3;
the signed records need `cryptography` with ML-DSA-65 (skipped without it, or failed under
ARBOR_REQUIRE_PEERS=1).

Usage: scripts/check-cluster-coordination-vectors.py [cluster-coordination.json]
Prints one line per check and a summary; exits 0 only if no check failed.
"""

import hashlib
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = "Tests/ArborCoreTests/Vectors/cluster-coordination.json"

_spec = importlib.util.spec_from_file_location("cluster", os.path.join(HERE, "check-cluster-vectors.py"))
cv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cv)
kt = cv.kt
Failure, malformed, Reader = kt.Failure, kt.malformed, kt.Reader

ASSIGNMENTS, LEAVES = 5, 8
SIGN = 0x01


def u64(reader):
    return int.from_bytes(reader.take(8), "big")


def parse_assignment(value):
    """Returns (generation, member texts, {branch: owner text})."""
    r = Reader(value, "an assignments record")
    generation, count = u64(r), r.u16()
    if generation < 1 or count > 4096:
        raise malformed("generation 0 or too many members")
    members = []
    for _ in range(count):
        text = kt.format_path(kt.read_path(r))
        if members and not members[-1].encode("utf-8") < text.encode("utf-8"):
            raise malformed("members not sorted")
        members.append(text)
    branch_count = r.u32()
    if branch_count > 1 << 16:
        raise malformed("too many branches")
    owners = {}
    last = None
    for _ in range(branch_count):
        raw = r.short()
        try:
            branch = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise malformed("a branch id is not UTF-8")
        if not raw or (last is not None and not last < raw):
            raise malformed("branches empty, not sorted, or repeated")
        last = raw
        index = r.u16()
        if index >= len(members):
            raise malformed("an owner index past the members")
        owners[branch] = members[index]
    r.end()
    for branch, claimed in owners.items():
        if cv.owner(branch, members) != claimed:
            raise Failure("conflict", f"{branch} is not {claimed}'s by rendezvous hashing")
    return generation, members, owners


def parse_leaf_range(value):
    """Returns (holder path segments, first, next)."""
    r = Reader(value, "a leaves record")
    holder = kt.read_path(r)
    first, after = u64(r), u64(r)
    r.end()
    if not first < after:
        raise malformed("an empty range")
    return holder, first, after


def leaves_id(lms_public_key):
    return hashlib.sha256(kt.domain("arbor/v1/cluster-leaves-id") + lms_public_key).digest()[:16]


class Record:
    """docs/cluster.md §2 and §3, for the two kinds checked here."""

    def __init__(self, data):
        r = Reader(data, "a cluster record")
        if r.take(4) != b"ARCR":
            raise malformed("not a cluster record")
        if r.u8() != 1:
            raise Failure("unsupported version", "record version")
        self.cluster, self.kind = r.take(32), r.u8()
        prefix = f"arbor/{self.cluster.hex()}"
        if self.kind == ASSIGNMENTS:
            self.text = f"{prefix}/assignments"
        elif self.kind == LEAVES:
            self.text = f"{prefix}/leaves/{r.take(16).hex()}"
        else:
            raise malformed("a kind this checker does not read")
        self.sequence = u64(r)
        self.value = r.long(1 << 24)
        self.chain = kt.parse_chain(r.long(1 << 24))
        self.tbs = bytes(data[: r.pos])
        self.signature = r.take(kt.ED_SIG + kt.MLDSA_SIG)
        r.end()


class Reader2:
    """The reader's rules for assignments and leaf ranges."""

    def __init__(self, root):
        self.root, self.sequences, self.generation, self.next = root, {}, {}, {}

    def apply(self, data, stored_at, t):
        record = Record(data)
        if record.cluster != self.root.key_id:
            raise Failure("wrong cluster", "another cluster's record")
        if stored_at != record.text:
            raise Failure("conflict", "copied to another key")
        kt.verify_chain(record.chain, {self.root.key_id}, [], t)
        signer = record.chain[-1]
        if not kt.hybrid_valid("arbor/v1/cluster-record", record.tbs, signer.public_keys, record.signature):
            raise Failure("invalid signature", "record signature")
        if not signer.usage & SIGN:
            raise Failure("usage not allowed", "no sign usage")
        if record.kind == ASSIGNMENTS:
            generation = parse_assignment(record.value)[0]
        else:
            holder, first, after = parse_leaf_range(record.value)
            if holder != signer.path:
                raise Failure("not authorised", "a range reserved in another node's name")
        held = self.sequences.get(record.text)
        if held is not None and record.sequence <= held:
            raise Failure("replayed", "sequence")
        if record.kind == ASSIGNMENTS:
            if record.text in self.generation and generation <= self.generation[record.text]:
                raise Failure("rollback", "generation not above the held one")
            self.generation[record.text] = generation
        else:
            if record.text in self.next and first < self.next[record.text]:
                raise Failure("rollback", "a range below the counter")
            self.next[record.text] = after
        self.sequences[record.text] = record.sequence

    def delete(self, stored_at):
        if stored_at in self.sequences:
            raise Failure("rollback", "a deletion cannot undo a signed record")


def outcome(body):
    try:
        body()
        return "valid"
    except Failure as failure:
        return failure.code


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VECTORS
    with open(path, encoding="utf-8") as handle:
        vectors = json.load(handle)
    report = kt.Report()
    for value in vectors["assignment_values"]:
        got = outcome(lambda: parse_assignment(bytes.fromhex(value["value"])))
        report.check(f"assignment value: {value['description']}: {value['expected']}", got == value["expected"], f"got {got}")
        if value.get("owners") is not None:
            report.check("  its owners", parse_assignment(bytes.fromhex(value["value"]))[2] == value["owners"])
    for value in vectors["leaf_range_values"]:
        got = outcome(lambda: parse_leaf_range(bytes.fromhex(value["value"])))
        report.check(f"leaf range value: {value['description']}: {value['expected']}", got == value["expected"], f"got {got}")
    root = kt.Certificate(bytes.fromhex(vectors["root_certificate"]))
    for entry in vectors["leaves_ids"]:
        key_id = leaves_id(bytes.fromhex(entry["lms_public_key"]))
        report.check(f"leaves id {entry['id']}", key_id.hex() == entry["id"])
        report.check(f"  stored at {entry['stored_at']}", entry["stored_at"] == f"arbor/{root.key_id.hex()}/leaves/{key_id.hex()}")
    if kt.MLDSA is None:
        print(f"skipped the signed records: they need ML-DSA-65, and {kt.MLDSA_MISSING}")
        if os.environ.get("ARBOR_REQUIRE_PEERS") == "1":
            report.failed += 1
    else:
        for case in vectors["records"]:
            reader = Reader2(root)
            outcomes = []
            for step in case["steps"]:
                if step.get("record") is not None:
                    outcomes.append(outcome(lambda: reader.apply(bytes.fromhex(step["record"]), step["stored_at"], vectors["time"])))
                else:
                    outcomes.append(outcome(lambda: reader.delete(step["stored_at"])))
            expected = [step["expected"] for step in case["steps"]]
            report.check(f"{case['description']}: {' → '.join(expected)}", outcomes == expected, f"got {outcomes}")
    print(f"\n{report.passed} passed, {report.failed} failed")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
