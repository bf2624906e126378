#!/usr/bin/env python3
"""Checks Arbor's node key and keyring file vectors with a second, independent implementation.

Written from docs/keys.md (§5 derivation, §9 armor, §10 scrypt, §11 node key file, §19.1) and
docs/formats.md ("Keyring file"), not from the Swift sources: it parses every case, checks the
checksum, opens encrypted files with scrypt and ChaCha20-Poly1305, compares what a valid file holds
with what derivation gives, and compares every failure with the expected error code. Needs Python 3
and the `cryptography` package.

Usage: scripts/check-keyfile-vectors.py [keyfiles.json]
Prints one line per case and a summary; exits 0 only if no check failed.
"""

import base64
import hashlib
import hmac
import json
import struct
import sys

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
except ImportError:  # pragma: no cover
    print("the Python package 'cryptography' is required: pip install cryptography", file=sys.stderr)
    sys.exit(2)

DEFAULT_VECTORS = "Tests/ArborCoreTests/Vectors/keyfiles.json"


class Refused(Exception):
    """A reading failure, carrying the error code of docs/keys.md §2."""

    def __init__(self, code, why):
        super().__init__(f"{code}: {why}")
        self.code = code


def expand(key, info):
    """HKDF-Expand with L = 32 (docs/keys.md §2): one HMAC block."""
    return hmac.new(key, info + b"\x01", hashlib.sha256).digest()


def child(secret, label, branch):
    return expand(secret, b"arbor/v1/child\x00" + bytes([len(label)]) + label.encode() + struct.pack(">I", branch))


def parse_path_text(text):
    segments = []
    for part in [p for p in text.strip("/").split("/") if p]:
        label, _, branch = part.partition("#")
        segments.append((label, int(branch) if branch else 0))
    return segments


def branch_secret(root, path_text):
    secret = root
    for label, branch in parse_path_text(path_text):
        secret = child(secret, label, branch)
    return secret


def armor(raw, label):
    text = base64.b64encode(raw).decode()
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return "".join(f"{line}\n" for line in [f"-----BEGIN {label}-----"] + lines + [f"-----END {label}-----"])


class Reader:
    def __init__(self, data):
        self.data, self.offset = data, 0

    def take(self, count):
        if count > len(self.data) - self.offset:
            raise Refused("corrupt file", "truncated")
        chunk = self.data[self.offset:self.offset + count]
        self.offset += count
        return chunk

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def path(self):
        depth = self.u8()
        if depth > 32:
            raise Refused("corrupt file", "path too deep")
        segments = []
        for _ in range(depth):
            label = self.take(self.u8()).decode("ascii", "replace")
            segments.append(label if (branch := self.u32()) == 0 else f"{label}#{branch}")
        return "/".join(segments) or "/"

    def end(self):
        if self.offset != len(self.data):
            raise Refused("corrupt file", "trailing bytes")


def open_envelope(raw, magic, domain, passphrase):
    """docs/keys.md §11.1, reading steps 2–6: the body of a version 1 or 2 file."""
    if len(raw) < 5 or raw[:4] != magic:
        raise Refused("corrupt file", "magic")
    if raw[4] == 1:
        return raw[5:]
    if len(raw) < 38:
        raise Refused("corrupt file", "too short")
    if hashlib.sha256(b"arbor/v1/file-checksum\x00" + raw[:-32]).digest() != raw[-32:]:
        raise Refused("corrupt file", "checksum mismatch")
    if raw[4] != 2 or raw[5] not in (0, 1):
        raise Refused("unsupported version", f"version {raw[4]}, protection {raw[5]}")
    content = raw[6:-32]
    if raw[5] == 0:
        return content
    reader = Reader(content)
    if reader.u8() != 1:
        raise Refused("unsupported version", "KDF")
    log_n, r, p = reader.u8(), reader.u32(), reader.u32()
    if log_n > 22 or r > 8 or p > 1:
        raise Refused("limit exceeded", f"logN {log_n}")
    if log_n == 0 or r < 8 or p < 1:
        raise Refused("corrupt file", "scrypt parameters")
    salt, nonce = reader.take(32), reader.take(12)
    sealed = content[reader.offset:]
    if len(sealed) < 16:
        raise Refused("corrupt file", "no tag")
    key = hashlib.scrypt(passphrase.encode(), salt=domain + b"\x00" + salt, n=1 << log_n, r=r, p=p,
                         maxmem=256 << 20, dklen=32)
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, sealed, raw[:6 + 54])
    except InvalidTag:
        raise Refused("wrong passphrase", "tag") from None


def read_node_key(raw, passphrase):
    reader = Reader(open_envelope(raw, b"ARBN", b"arbor/v1/node-key-file", passphrase or ""))
    path, epoch, secret = reader.path(), reader.u32(), reader.take(32)
    reader.end()
    return {"path": path, "epoch": epoch, "branch_secret": secret.hex()}


def read_keyring(raw, passphrase):
    reader = Reader(open_envelope(raw, b"ARKR", b"arbor/v1/keyring-file", passphrase or ""))
    name = reader.take(reader.u8()).decode()
    owner, cipher, active, minimum = reader.path(), reader.u8(), reader.u32(), reader.u32()
    seeds = {}
    for _ in range(reader.u16()):
        epoch = reader.u32()
        seeds[str(epoch)] = reader.take(32).hex()
    reader.end()
    return {"name": name, "owner": owner, "cipher": cipher, "active_epoch": active, "minimum_epoch": minimum,
            "epoch_seeds": seeds}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VECTORS
    with open(path) as handle:
        vectors = json.load(handle)
    root = bytes.fromhex(vectors["root_key"])
    failures = checks = 0

    def check(ok, what):
        nonlocal failures, checks
        checks += 1
        failures += 0 if ok else 1
        print(("ok   " if ok else "FAIL ") + what)

    groups = [("node key", "ARBOR NODE KEY", vectors["node_key_files"], read_node_key),
              ("keyring", "ARBOR KEYRING", vectors["keyring_files"], read_keyring)]
    for kind, label, cases, read in groups:
        for case in cases:
            raw = bytes.fromhex(case["file"])
            check(armor(raw, label) == case["armored"], f"{kind}: {case['description']}: armor")
            try:
                content, outcome = read(raw, case.get("passphrase")), "valid"
            except Refused as refusal:
                content, outcome = None, refusal.code
            check(outcome == case["expected"], f"{kind}: {case['description']}: {outcome} (expected {case['expected']})")
            if content is None or case["expected"] != "valid":
                continue
            for field, value in content.items():
                check(case.get(field) == value, f"{kind}: {case['description']}: {field}")
            if kind == "node key":
                derived = branch_secret(root, content["path"]).hex()
                check(derived == content["branch_secret"], f"{kind}: {case['description']}: derived from the root (§5.1)")
            else:
                # docs/formats.md, "Epoch seed": each seed re-derives from the owner's branch secret.
                owner, name = branch_secret(root, content["owner"]), content["name"].encode()
                for epoch, seed in content["epoch_seeds"].items():
                    info = b"arbor/v1/keyring\x00" + bytes([len(name)]) + name + struct.pack(">I", int(epoch))
                    check(expand(owner, info).hex() == seed, f"{kind}: {case['description']}: seed of epoch {epoch} re-derived")
    print(f"{checks - failures}/{checks} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
