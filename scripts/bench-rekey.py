#!/usr/bin/env python3
"""How long a running node takes to move to a new key, and how long its API is away (issue 11, points 6 and 7).

Sets up etcd and two enrolled nodes as scripts/bench-cross-node.py does (A = eu/node-1, B =
eu/node-2), then, RUNS times each:
- a parent-ordered rekey of B (`arbor cluster rekey`, grace 0): from the command's return to B's
  member record under its next branch in etcd, and to the revocation of its old key in etcd;
- a self-rekey of A (`POST /v1/sys/rekey`): from the 202 to A's member record at the next epoch.
While each move runs, B's (or A's) `/v1/sys/health` is polled every 5 ms: the longest stretch in
which it did not answer is the time its API was away. After each move the node must still open a
token sealed before the first move. Prints the median and the slowest, in milliseconds.

    python3 scripts/bench-rekey.py [--arbor .build/release/arbor] [--runs 5] [--json]
"""

import argparse
import base64
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_cross_node", os.path.join(HERE, "bench-cross-node.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def etcd_get(cluster, key):
    """The value stored at `key` (bytes), or None."""
    reply = bench.http(cluster.etcd_url, "/v3/kv/range", {"key": base64.b64encode(key.encode()).decode()}, timeout=5)
    kvs = reply.get("kvs") or []
    return base64.b64decode(kvs[0]["value"]) if kvs else None


def etcd_count(cluster, prefix):
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    reply = bench.http(cluster.etcd_url, "/v3/kv/range", {
        "key": base64.b64encode(prefix.encode()).decode(), "range_end": base64.b64encode(end.encode()).decode(),
        "count_only": True}, timeout=5)
    return int(reply.get("count", 0))


class Outage:
    """Polls a node's health every 5 ms in a thread; the longest stretch without an answer."""

    def __init__(self, url):
        self.url, self.longest, self.running = url, 0.0, True
        self.thread = threading.Thread(target=self.poll, daemon=True)
        self.thread.start()

    def poll(self):
        down_since = None
        while self.running:
            now = time.monotonic()
            try:
                bench.http(self.url, "/v1/sys/health", timeout=1)
                if down_since is not None:
                    self.longest = max(self.longest, now - down_since)
                    down_since = None
            except OSError:
                down_since = down_since or now
            time.sleep(0.005)

    def stop(self):
        self.running = False
        self.thread.join()
        return self.longest


def wait_until(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.005)
    bench.fail(f"not within {timeout} s: {what}")


def summary(name, values):
    return {"what": name, "runs": len(values), "median_ms": round(statistics.median(values) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arbor", default=".build/release/arbor")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    arbor = os.path.abspath(arguments.arbor)
    directory = tempfile.mkdtemp(prefix="arbor-rekey-")
    cluster = bench.Cluster(arbor, directory)
    try:
        cluster.start_etcd()
        cluster.make_parent()
        for name, node in (("A", "node-1"), ("B", "node-2")):
            cluster.enroll_and_serve(name, node)
        cluster.wait_for_members(2)
        cluster_id = json.loads(cluster.run("cluster", "members", "--etcd", cluster.etcd_url, "--anchor", "root.cert", "--json"))["cluster"]
        prefix = f"arbor/{cluster_id}/"
        plaintext = base64.b64encode(b"sealed before the moves").decode()
        token = bench.encrypt(cluster, "A", plaintext)

        moved, revoked, away = [], [], []
        path = "eu/node-2"
        for run in range(arguments.runs):
            revocations = etcd_count(cluster, prefix + "revocations/")
            next_path = f"eu/node-2#{run + 1}"
            outage = Outage(cluster.nodes["B"]["url"])
            cluster.run("cluster", "rekey", path, "--key", "eu.key", "--chain", "eu.chain", "--grace", "0", "--etcd", cluster.etcd_url)
            start = time.monotonic()
            moved.append(wait_until(lambda: etcd_get(cluster, prefix + "members/" + next_path), f"{next_path} in etcd") - start)
            revoked.append(wait_until(
                lambda: etcd_count(cluster, prefix + "revocations/") > revocations, "the old key's revocation") - start)
            wait_until(lambda: bench.decrypt(cluster, "B", token) == plaintext, "B opens after its move")
            away.append(outage.stop())
            path = next_path

        self_moved, self_away = [], []
        key = prefix + "members/eu/node-1"
        for run in range(arguments.runs):
            before = etcd_get(cluster, key)
            outage = Outage(cluster.nodes["A"]["url"])
            start = time.monotonic()
            reply = bench.http(cluster.nodes["A"]["url"], "/v1/sys/rekey", {}, token=cluster.nodes["A"]["token"])
            if reply.get("epoch") != run + 1:
                bench.fail(f"the self-rekey answered {reply}")
            self_moved.append(wait_until(lambda: etcd_get(cluster, key) not in (None, before), "A's new member record") - start)
            wait_until(lambda: bench.decrypt(cluster, "A", token) == plaintext, "A opens after its move")
            self_away.append(outage.stop())

        results = [
            summary("parent-ordered rekey: order written -> new member record in etcd", moved),
            summary("parent-ordered rekey: order written -> old key's revocation in etcd (grace 0)", revoked),
            summary("parent-ordered rekey: longest time the node's API did not answer", away),
            summary("self-rekey: 202 -> member record at the next epoch in etcd", self_moved),
            summary("self-rekey: longest time the node's API did not answer", self_away),
        ]
        if arguments.json:
            print(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2))
        else:
            print(f"rekey of a running node, {arguments.runs} runs each ({os.cpu_count()} cores)")
            for result in results:
                print(f"{result['what']:<82} median {result['median_ms']:7.1f} ms   max {result['max_ms']:7.1f} ms")
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
