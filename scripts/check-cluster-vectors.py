#!/usr/bin/env python3
"""Checks Arbor's cluster vectors with a second, independent implementation.

Written from docs/cluster.md (not from the Swift sources): record keys and their text form (§2),
the record (§3), values (§4), the reader's verification, authorisation, replay and rollback rules
and deletions (§5), rendezvous weights, owners and moves (§7), grants (§15), and rekey
instructions and the root transition record (§17, §18). Certificates, chains, revocations and
hybrid signatures (docs/keys.md) come from scripts/check-keytree-vectors.py, the independent
implementation of docs/keys.md, and root transitions (docs/keys.md §20) from
scripts/check-root-transition-vectors.py. Needs Python 3 and the `cryptography` package with
ML-DSA-65: without it no record can be checked, and the script says it skipped them (and fails
under ARBOR_REQUIRE_PEERS=1, as the other checkers do).

Usage: scripts/check-cluster-vectors.py [cluster.json | cluster-grants.json | cluster-rekeys.json]
(The prekeys record of §12.1, kind 7, is read here too, for scripts/check-message-vectors.py.)
Prints one line per check and a summary; exits 0 only if no check failed.
"""

import hashlib
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = "Tests/ArborCoreTests/Vectors/cluster.json"

_spec = importlib.util.spec_from_file_location("keytree", os.path.join(HERE, "check-keytree-vectors.py"))
kt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kt)
Failure, malformed, Reader = kt.Failure, kt.malformed, kt.Reader

_spec = importlib.util.spec_from_file_location("root_transition", os.path.join(HERE, "check-root-transition-vectors.py"))
rt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rt)
# It loaded a keytree module of its own: point it at ours, so that its failures are the Failure
# caught here.
rt.kt, rt.Failure, rt.malformed, rt.Reader = kt, Failure, malformed, Reader

SIGN, CERTIFY = 0x01, 0x04
MEMBER, REVOCATION, KEYRING, TRUST, ASSIGNMENTS = 1, 2, 3, 4, 5
SEGMENT = {MEMBER: "members", REVOCATION: "revocations", KEYRING: "keyrings", TRUST: "trust", ASSIGNMENTS: "assignments"}
# docs/cluster.md, "Grants" (cluster-grants.json).
GRANT = 6
SEGMENT[GRANT] = "grants"
# docs/cluster.md §17 and §18 (cluster-rekeys.json).
REKEY, TRANSITION = 9, 10
SEGMENT[REKEY] = "rekeys"
SEGMENT[TRANSITION] = "transition"
BRANCH_MOVE, ROOT_MOVE = 1, 2
# docs/cluster.md §12.1 (cluster-messages.json, through scripts/check-message-vectors.py).
PREKEYS = 7
SEGMENT[PREKEYS] = "prekeys"
AGREE = 0x02


def path_text(segments):
    return "." if not segments else kt.format_path(segments)


class Record:
    """§2 and §3."""

    def __init__(self, data):
        r = Reader(data, "a cluster record")
        if r.take(4) != b"ARCR":
            raise malformed("not a cluster record")
        version = r.u8()
        if version != 1:
            raise Failure("unsupported version", f"record version {version}")
        self.cluster = r.take(32)
        self.kind = r.u8()
        if self.kind == MEMBER:
            self.subject = kt.read_path(r)
            tail = path_text(self.subject)
        elif self.kind == REVOCATION:
            self.subject = r.take(16)
            tail = self.subject.hex()
        elif self.kind == KEYRING:
            owner = kt.read_path(r)
            name = r.short().decode("utf-8", "replace")
            if not kt.valid_label(name):
                raise malformed("bad keyring name")
            self.subject = (owner, name)
            tail = f"{name}/{path_text(owner)}"
        elif self.kind == TRUST:
            name = r.short()
            if not 1 <= len(name) <= 64 or b"/" in name:
                raise malformed("bad trusted cluster name")
            self.subject = name.decode("utf-8", "replace")
            tail = self.subject
        elif self.kind == ASSIGNMENTS:
            self.subject, tail = None, None
        elif self.kind == GRANT:
            owner = kt.read_path(r)
            name = r.short().decode("utf-8", "replace")
            if not kt.valid_label(name):
                raise malformed("bad keyring name")
            holder = kt.read_path(r)
            self.subject = (owner, name, holder)
            tail = f"{name}/{path_text(owner)}/{path_text(holder)}"
        elif self.kind == REKEY:
            self.subject = kt.read_path(r)
            tail = path_text(self.subject)
        elif self.kind == PREKEYS:
            self.subject = kt.read_path(r)
            tail = path_text(self.subject)
        elif self.kind == TRANSITION:
            # §18: etcd key `transition`, no subject.
            self.subject, tail = None, None
        else:
            raise malformed("unknown kind")
        self.text = f"arbor/{self.cluster.hex()}/{SEGMENT[self.kind]}" + (f"/{tail}" if tail is not None else "")
        self.sequence = int.from_bytes(r.take(8), "big")
        self.value = r.long(1 << 24)
        self.chain = kt.parse_chain(r.long(1 << 24))
        self.tbs = bytes(data[:r.pos])
        self.signature = r.take(kt.ED_SIG + kt.MLDSA_SIG)
        r.end()


def parse_member(value):
    r = Reader(value, "a member record")
    count = r.u8()
    if count > 16:
        raise malformed("too many addresses")
    addresses = []
    for _ in range(count):
        raw = r.short()
        if not raw:
            raise malformed("empty address")
        addresses.append(raw.decode("utf-8"))
    chain = kt.parse_chain(r.long(1 << 24))
    r.end()
    return addresses, chain


def parse_keyring(value):
    r = Reader(value, "a keyring record")
    cipher, active, minimum = r.u8(), r.u32(), r.u32()
    r.end()
    if cipher not in (1, 2) or not 1 <= minimum <= active:
        raise malformed("bad keyring record")
    return cipher, active, minimum


def parse_trust_bundle(value):
    """docs/keys.md §17."""
    r = Reader(value, "a trust bundle")
    if r.take(4) != b"ARTB":
        raise malformed("not a trust bundle")
    if r.u8() != 1:
        raise Failure("unsupported version", "trust bundle version")
    name = r.short().decode("utf-8", "replace")
    chain = kt.parse_chain(r.long(1 << 24))
    kt.parse_revocation_list(r.long(1 << 30))
    r.end()
    root = chain[0]
    if root.kind != kt.KIND_ROOT or not root.signed_by(root.public_keys):
        raise Failure("invalid signature", "the bundle's root is not self-signed")
    if len(chain) != 1:
        raise Failure("invalid argument", "a bundle carries the root alone")
    return name, root


def parse_prekey_bundle(value):
    """§12.1: returns [(id, X-Wing public key)]."""
    r = Reader(value, "a prekey bundle")
    count = r.u16()
    if count > 256:
        raise malformed("more than 256 prekeys")
    prekeys = []
    for _ in range(count):
        pid, public = r.u32(), r.take(kt.XWING_PK)
        if pid < 1 or (prekeys and pid <= prekeys[-1][0]):
            raise malformed("prekey ids are not strictly increasing from 1")
        if kt.MLKEM is not None:
            try:
                # "must parse": the ML-KEM-768 half (FIPS 203's modulus check); the X25519 half is any 32 bytes.
                kt.MLKEM.MLKEM768PublicKey.from_public_bytes(public[:1184])
            except ValueError:
                raise malformed("a prekey is not an X-Wing public key") from None
        prekeys.append((pid, public))
    r.end()
    return prekeys


class RekeyInstruction:
    """The value of a rekey record (§17's table; the transition field of §18 after it)."""

    def __init__(self, value):
        r = Reader(value, "a rekey instruction")
        self.kind = r.u8()
        if self.kind not in (BRANCH_MOVE, ROOT_MOVE):
            raise malformed("unknown rekey kind")
        self.from_key_id = r.take(32)
        self.revoke_after = r.i64()
        self.chain = kt.parse_chain(r.long(1 << 24))
        # An age file to the member's X-Wing key: only the member can open it, so a reader checks
        # its length alone (the vectors hold stand-ins).
        self.sealed_key = r.long(1 << 20)
        if not self.sealed_key:
            raise malformed("a rekey instruction seals no key")
        # Not in §17's table: the limits of the last two fields, and the transition field itself,
        # which §18 names ("and the transition") but does not place. Here: a long field each.
        revocation = r.long(1 << 24)
        transition = r.long(1 << 24)
        r.end()
        self.revocation = Record(revocation) if revocation else None
        self.revocation_bytes = revocation
        self.transition = rt.Transition(transition) if transition else None
        if self.kind == BRANCH_MOVE and self.transition is not None:
            raise malformed("a branch instruction carries no transition")
        if self.kind == ROOT_MOVE and self.transition is None:
            raise malformed("a root instruction carries the transition")
        if self.kind == ROOT_MOVE and self.revocation is not None:
            raise malformed("a root instruction carries no revocation")


class ClusterReader:
    """The reader of §5: what it applied, per key."""

    def __init__(self, root):
        self.root = root
        self.sequences, self.kinds, self.keyrings, self.members, self.revocations = {}, {}, {}, {}, []

    def apply(self, data, stored_at, t):
        record = Record(data)
        if record.cluster != self.root.key_id:
            raise Failure("wrong cluster", "another cluster's record")
        if stored_at != record.text:
            raise Failure("conflict", f"stored at {stored_at}, signed for {record.text}")
        kt.verify_chain(record.chain, {self.root.key_id}, self.revocations, t)
        signer = record.chain[-1]
        if not kt.hybrid_valid("arbor/v1/cluster-record", record.tbs, signer.public_keys, record.signature):
            raise Failure("invalid signature", "record signature")
        if not signer.usage & SIGN:
            raise Failure("usage not allowed", "no sign usage")
        s = signer.path

        def ancestor(of):
            if not kt.strict_ancestor(s, of):
                raise Failure("not authorised", "not an ancestor")
            if not signer.usage & CERTIFY:
                raise Failure("usage not allowed", "no certify usage")

        content = None
        if record.kind == MEMBER:
            p = record.subject
            content = parse_member(record.value) if record.value else None
            if s != p:
                ancestor(p)
            if content is not None:
                leaf = content[1][-1]
                if leaf.path != p:
                    raise Failure("not authorised", "a certificate for another path")
                if s == p and leaf.key_id != signer.key_id:
                    raise Failure("not authorised", "not the signer's own key")
                kt.verify_chain(content[1], {self.root.key_id}, self.revocations, t)
        elif record.kind == REVOCATION:
            content = kt.Revocation(record.value)
            rid = hashlib.sha256(kt.domain("arbor/v1/cluster-revocation-id") + record.value).digest()[:16]
            if rid != record.subject:
                raise Failure("conflict", "revocation id")
            ancestor(content.revoked_path)
        elif record.kind == KEYRING:
            content = parse_keyring(record.value)
            owner = record.subject[0]
            if not (s == owner or kt.strict_ancestor(s, owner)):
                raise Failure("not authorised", "not the keyring's owner or an ancestor")
        elif record.kind == TRUST:
            name, _ = parse_trust_bundle(record.value)
            if s != ():
                raise Failure("not authorised", "only the root")
            if name != record.subject:
                raise Failure("conflict", "bundle name")
        elif record.kind == GRANT:
            if not record.value:
                raise malformed("a grant seals nothing")
            owner = record.subject[0]
            if not (s == owner or kt.strict_ancestor(s, owner)):
                raise Failure("not authorised", "not the keyring's owner or an ancestor")
        elif record.kind == REKEY:
            instruction = RekeyInstruction(record.value)
            if instruction.kind == BRANCH_MOVE:
                ancestor(record.subject)
                self.check_branch_move(record.subject, instruction, t)
            else:
                if s != ():
                    raise Failure("not authorised", "only the root orders a root instruction")
                self.check_root_move(record.subject, instruction, t)
        elif record.kind == PREKEYS:
            content = parse_prekey_bundle(record.value)
            if s != record.subject:
                raise Failure("not authorised", "only the node publishes its prekeys")
            if not signer.usage & AGREE:
                raise Failure("usage not allowed", "no agree usage")
            # With its current key: the key its live member record names, when the reader holds one.
            # (This reader does not track departures, which §12.1's "live" would exclude.)
            member = self.members.get(record.subject)
            if member is not None and member[1][-1].key_id != signer.key_id:
                raise Failure("not authorised", "prekeys signed with another key than the member record's")
        elif record.kind == TRANSITION:
            transition = rt.Transition(record.value)
            if s != ():
                raise Failure("not authorised", "only the root publishes the transition")
            transition.verify(self.root)
        held = self.sequences.get(record.text)
        if held is not None and record.sequence <= held:
            raise Failure("replayed", "sequence")
        if record.kind == KEYRING and record.text in self.keyrings:
            old = self.keyrings[record.text]
            if old[0] != content[0]:
                raise Failure("conflict", "cipher")
            if content[1] < old[1] or content[2] < old[2]:
                raise Failure("rollback", "lowered epoch")
            self.keyrings[record.text] = content
        elif record.kind == KEYRING:
            self.keyrings[record.text] = content
        if record.kind == REVOCATION:
            self.revocations.append(content)
        if record.kind == MEMBER:
            self.members[record.subject] = content
        self.sequences[record.text] = record.sequence
        self.kinds[record.text] = record.kind

    def check_branch_move(self, path, instruction, t):
        """§17, after the signer's authorisation, in the documented order."""
        new = instruction.chain[-1]
        # The signer is a strict ancestor of `path`, so `path` is not the root.
        (label, branch), new_last = path[-1], new.path[-1] if new.path else None
        if new.path[:-1] != path[:-1] or new_last is None or new_last[0] != label or new_last[1] <= branch:
            raise Failure("invalid rekey", f"{kt.format_path(new.path)} is not a later branch of {kt.format_path(path)}")
        if new.key_id == instruction.from_key_id:
            raise Failure("invalid rekey", "the new key is the old one")
        kt.verify_chain(instruction.chain, {self.root.key_id}, self.revocations, t)
        revocation = instruction.revocation
        if revocation is None:
            return
        if revocation.cluster != self.root.key_id or revocation.kind != REVOCATION:
            raise Failure("conflict", "not a revocation record of this cluster")
        revoked = kt.Revocation(revocation.value)
        if revoked.revoked_key_id != instruction.from_key_id or revoked.revoked_path != path:
            raise Failure("conflict", "the revocation is not of the key the instruction moves")
        # §17: the carried record is verified as a record (§5) when the instruction is applied.
        scratch = ClusterReader(self.root)
        scratch.revocations = list(self.revocations)
        scratch.apply(instruction.revocation_bytes, revocation.text, t)

    def check_root_move(self, path, instruction, t):
        """§18, after the signer's authorisation: the transition, the new chain under the new root, the path."""
        new_root = instruction.transition.verify(self.root)
        kt.verify_chain(instruction.chain, {new_root.key_id}, self.revocations, t)
        new = instruction.chain[-1]
        if new.path != path:
            raise Failure("invalid rekey", f"{kt.format_path(new.path)} is not {kt.format_path(path)}")
        if new.key_id == instruction.from_key_id:
            raise Failure("invalid rekey", "the new key is the old one")

    def delete(self, stored_at):
        if stored_at not in self.sequences:
            return
        if self.kinds[stored_at] != MEMBER:
            raise Failure("rollback", "a deletion cannot undo a signed record")


def weight(member, branch):
    m, b = member.encode("utf-8"), branch.encode("utf-8")
    digest = hashlib.sha256(kt.domain("arbor/v1/rendezvous") + kt.u32(len(m)) + m + kt.u32(len(b)) + b).digest()
    return int.from_bytes(digest[:8], "big")


def owner(branch, members):
    best = None
    for member in members:
        key = (-weight(member, branch), member.encode("utf-8"))
        if best is None or key < best[0]:
            best = (key, member)
    return best[1] if best else None


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VECTORS
    with open(path, encoding="utf-8") as handle:
        vectors = json.load(handle)
    if kt.MLDSA is None:
        # Every record's signature is half ML-DSA-65: without it nothing here can be checked.
        print(f"skipped: the cluster vectors need ML-DSA-65, and {kt.MLDSA_MISSING}")
        return 1 if os.environ.get("ARBOR_REQUIRE_PEERS") == "1" else 0
    report = kt.Report()
    root = kt.Certificate(bytes.fromhex(vectors["root_certificate"]))
    if "root_key" in vectors:
        root_keys = kt.KeySet(bytes.fromhex(vectors["root_key"]), (), 0)
        report.check("the root certificate holds the root key's Ed25519 key", kt.split_pks(root.public_keys)[0] == root_keys.ed25519)
    if "/rekeys/" in vectors.get("key_text", ""):
        # cluster-rekeys.json: "key_text is the rekey key of eu/node-7".
        expected = f"arbor/{root.key_id.hex()}/rekeys/eu/node-7"
        report.check("key_text is the text form of the rekey key of eu/node-7", vectors["key_text"] == expected, vectors["key_text"])
        check_new_root(vectors, report)
    for case in vectors["records"]:
        reader = ClusterReader(root)
        outcomes = []
        for step in case["steps"]:
            try:
                if "record" in step and step["record"] is not None:
                    reader.apply(bytes.fromhex(step["record"]), step["stored_at"], vectors["time"])
                else:
                    reader.delete(step["stored_at"])
                outcomes.append("valid")
            except Failure as failure:
                outcomes.append(failure.code)
        expected = [step["expected"] for step in case["steps"]]
        report.check(f"{case['description']}: {' → '.join(expected)}", outcomes == expected, f"got {outcomes}")
    if "rendezvous" in vectors:
        check_rendezvous(vectors["rendezvous"], report)
    print(f"\n{report.passed} passed, {report.failed} failed")
    return 0 if report.failed == 0 else 1


def check_new_root(vectors, report):
    """cluster-rekeys.json: "The new root of the transition is the root key 40 … 5f"."""
    keys = kt.KeySet(bytes(range(0x40, 0x60)), (), 0)
    for case in vectors["records"]:
        for step in case["steps"]:
            if step.get("record") and step["stored_at"].endswith("/transition") and step["expected"] == "valid":
                new = rt.Transition(Record(bytes.fromhex(step["record"])).value).new
                report.check(f"{case['description']}: the new root holds the keys of root key 40 … 5f",
                             kt.split_pks(new.public_keys)[:2] == (keys.ed25519, keys.mldsa65))


def check_rendezvous(rv, report):
    for w in rv["weights"]:
        report.check(f"weight({w['member']}, {w['branch']})", "%016x" % weight(w["member"], w["branch"]) == w["weight"])
    for branch in rv["branches"]:
        report.check(f"owner of {branch}", owner(branch, rv["members"]) == rv["owners"][branch])
    grown = rv["members"] + [rv["added"]]
    moves = []
    for branch in sorted(rv["branches"], key=lambda b: b.encode("utf-8")):
        before, after = owner(branch, rv["members"]), owner(branch, grown)
        if before != after:
            moves.append({"branch": branch, "from": before or "", "to": after or ""})
    report.check(f"moves when {rv['added']} joins", moves == rv["moves"], f"got {moves}")


if __name__ == "__main__":
    sys.exit(main())
