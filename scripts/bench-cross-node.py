#!/usr/bin/env python3
"""Seal on node A, open on node B, against the single-node rate (issue 11, point 11).

Starts a real etcd (/usr/bin/etcd) and two nodes of one cluster, A (eu/node-1) and B (eu/node-2),
set up as scripts/demo-cluster sets them up: a root, the parent eu, the keyring `payments` owned by
eu, and each node enrolled by eu with that keyring in its bundle (`arbor enroll request`, `issue
--keyring payments --etcd …`, `install`), then `arbor serve`; each node has its own root token.
It first checks that a value sealed on A opens on B to the same plaintext, and the other way round.

Then wrk (2 threads, 64 connections, 1 KiB payloads, as scripts/bench-node.py) times on
`POST /v1/keyrings/payments/{encrypt,decrypt}`: encrypt on A and on B; decrypt on A and on B of one
token sealed on A; decrypt on A and on B of one token sealed on B. Rounds alternate A and B (the
node that goes first alternates too); each figure is the median of the rounds with the range of
requests/s in brackets, and each ratio cross/single is given of the medians and as the median of
the rounds' own ratios. A run with any answer that is not 2xx, or any socket error, is refused. Last, one extra run of
"decrypt on B of A's token" with A stopped, and one with A and etcd both stopped: B opens with what
it holds, calling neither. etcd, both nodes and wrk share the machine's cores.

    python3 scripts/bench-cross-node.py [--arbor .build/release/arbor] [--duration 10] [--rounds 3] [--json]

Needs wrk (Debian `wrk`) on PATH and /usr/bin/etcd (Debian `etcd-server`). Build the node first:
`swift build -c release --product arbor`.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ETCD = "/usr/bin/etcd"
CONNECTIONS = 64
THREADS = 2
KEYRING = "payments"
PASSPHRASE = "bench passphrase, not for real keys"

# wrk runs this script: every request is the same POST (its body read from BODY_FILE, the token from
# ARBOR_TOKEN). Every answer's status is counted; the JSON line written at the end says how many were
# not 2xx (collected from each thread), with wrk's own socket errors.
WRK_SCRIPT = r"""
local file = io.open(os.getenv("BODY_FILE"), "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Arbor-Token"] = os.getenv("ARBOR_TOKEN")

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then not2xx = not2xx + 1 end
end

done = function(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not2xx") end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"not_2xx":%d,"errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, bad, errors,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def fail(message):
    sys.exit(f"bench-cross-node: {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, path, body=None, token=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method="POST" if data is not None else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Arbor-Token", token)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


class Cluster:
    """etcd and two enrolled nodes in one temporary directory; `stop()` ends whatever still runs."""

    def __init__(self, arbor, directory):
        self.arbor, self.directory = arbor, directory
        self.environment = dict(
            os.environ, ARBOR_KEYRINGS=os.path.join(directory, "keyrings"), ARBOR_TRUST_STORE=os.path.join(directory, "trust"))
        self.processes = {}
        self.nodes = {}

    def run(self, *arguments):
        result = subprocess.run(
            [self.arbor, *arguments], cwd=self.directory, env=self.environment, capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"`arbor {' '.join(arguments[:2])}` failed: {result.stderr.strip()}")
        return result.stdout

    def start_etcd(self):
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        peer_url = f"http://127.0.0.1:{peer}"
        log = open(os.path.join(self.directory, "etcd.log"), "w")
        self.processes["etcd"] = subprocess.Popen(
            [ETCD, "--name", "bench", "--data-dir", os.path.join(self.directory, "etcd"),
             "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
             "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
             "--initial-cluster", f"bench={peer_url}"],
            stdout=log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                http(self.etcd_url, "/v3/kv/range", {"key": "AA=="}, timeout=2)
                return
            except OSError:
                time.sleep(0.1)
        fail("etcd did not answer")

    def make_parent(self):
        """The root, the parent eu (key and chain) and the keyring eu owns, as the demo makes them."""
        with open(os.open(os.path.join(self.directory, "pass"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(PASSPHRASE + "\n")
        self.run("root", "init", "-o", "root.key", "--passphrase-file", "pass")
        self.run("derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key")
        self.run("cert", "issue", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.chain")
        self.run("keyring", "create", KEYRING, "--key", "eu.key")

    def enroll_and_serve(self, name, node):
        """Enrolls eu/<node> by its parent with the keyring (its bundle names the etcd endpoint) and serves it."""
        code = json.loads(self.run("enroll", "request", "--data", node, "--anchor", "root.cert", "--parent", "eu", "--json"))["code"]
        self.run("enroll", "issue", "--key", "eu.key", "--chain", "eu.chain", "--path", f"eu/{node}",
                 "--recipients-file", f"{node}/enroll.recipient", "--code", code, "--keyring", KEYRING,
                 "--etcd", self.etcd_url, "-o", f"{node}.bundle")
        token = json.loads(self.run("enroll", "install", "--data", node, "--bundle", f"{node}.bundle", "--json"))["rootToken"]
        port = free_port()
        log = open(os.path.join(self.directory, f"{node}.log"), "w")
        process = subprocess.Popen(
            [self.arbor, "serve", "--data", node, "--listen", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=self.directory, env=self.environment, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            if process.poll() is not None:
                fail(f"node {name} exited with {process.returncode}; see {node}.log")
            try:
                http(url, "/v1/sys/health", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            fail(f"node {name} did not answer")
        self.nodes[name] = {"url": url, "token": token, "path": f"eu/{node}"}

    def health(self, name):
        return http(self.nodes[name]["url"], "/v1/sys/health")

    def wait_for_members(self, count):
        for _ in range(200):
            if all((self.health(name).get("cluster") or {}).get("members") == count for name in self.nodes):
                return
            time.sleep(0.1)
        fail(f"the nodes did not both see {count} live members")

    def call(self, name, path, body):
        node = self.nodes[name]
        return http(node["url"], path, body, token=node["token"])

    def stop_one(self, name):
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop(self):
        for name in list(self.processes):
            self.stop_one(name)


def encrypt(cluster, name, plaintext):
    return cluster.call(name, f"/v1/keyrings/{KEYRING}/encrypt", {"plaintext": plaintext})["ciphertext"]


def decrypt(cluster, name, ciphertext):
    return cluster.call(name, f"/v1/keyrings/{KEYRING}/decrypt", {"ciphertext": ciphertext})["plaintext"]


def check_across(cluster):
    """Sealed on either node, opened on both to the same plaintext; a token sealed on one node is
    not one the other could have made (the two tokens of one plaintext differ)."""
    for sealer, opener in (("A", "B"), ("B", "A")):
        plaintext = base64.b64encode(os.urandom(1024)).decode()
        ciphertext = encrypt(cluster, sealer, plaintext)
        for name in (sealer, opener):
            if decrypt(cluster, name, ciphertext) != plaintext:
                fail(f"a token sealed on {sealer} did not open on {name} to its plaintext")
    print("check: sealed on A opens on B (and on A) to the same 1 KiB; sealed on B opens on A (and on B)", file=sys.stderr)


def run_wrk(node, path, body, directory, duration):
    script = os.path.join(directory, "post.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    body_file = os.path.join(directory, "body.json")
    with open(body_file, "w") as f:
        json.dump(body, f)
    environment = dict(os.environ, BODY_FILE=body_file, ARBOR_TOKEN=node["token"])
    output = subprocess.run(
        ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{duration}s", "--timeout", "10s", "-s", script,
         node["url"] + path],
        capture_output=True, text=True, env=environment, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["per_second"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def median_run(runs):
    """The run with the median requests/s (its latencies with it), and the range of requests/s."""
    ordered = sorted(runs, key=lambda run: run["per_second"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["range"] = [ordered[0]["per_second"], ordered[-1]["per_second"]]
    chosen["rounds"] = len(runs)
    return chosen


def refuse_failures(name, runs):
    for run in runs:
        if run["not_2xx"] or run["errors"]:
            fail(f"'{name}': {run['not_2xx']} answers not 2xx and {run['errors']} socket errors; the figures would not count")


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def row(name, figure):
    low, high = figure["range"]
    return (f"| {name} | {figure['per_second']:,.0f} [{low:,.0f}–{high:,.0f}] | {figure['p50_us'] / 1000:.2f} ms "
            f"| {figure['p99_us'] / 1000:.2f} ms |")


def table(figures, ratios, extra):
    lines = [
        "| workload (1 KiB, 64 connections) | req/s [range] | p50 | p99 |",
        "|---|---:|---:|---:|",
    ]
    lines += [row(name, figure) for name, figure in figures.items()]
    lines += ["", "| ratio of requests/s | of the medians | per round: median [range] |", "|---|---:|---:|"]
    lines += [f"| {name} | {value['of_medians']:.2f} | {value['paired']['median']:.2f} "
              f"[{value['paired']['range'][0]:.2f}–{value['paired']['range'][1]:.2f}] |" for name, value in ratios.items()]
    lines += ["", "| one run each, not a median | req/s | p50 | p99 |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {run['per_second']:,.0f} | {run['p50_us'] / 1000:.2f} ms | {run['p99_us'] / 1000:.2f} ms |"
              for name, run in extra.items()]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arbor", default=".build/release/arbor", help="the arbor binary (a release build)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every workload (median kept)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    arbor = os.path.abspath(arguments.arbor)
    if shutil.which("wrk") is None:
        fail("wrk is not on PATH (apt-get install -y wrk)")
    if not os.access(ETCD, os.X_OK):
        fail(f"{ETCD} is missing (apt-get install -y etcd-server)")
    if not os.access(arbor, os.X_OK):
        fail(f"{arbor} is not an executable (swift build -c release --product arbor)")

    with tempfile.TemporaryDirectory(prefix="arbor-cross-node-") as directory:
        os.umask(0o077)
        cluster = Cluster(arbor, directory)
        try:
            cluster.start_etcd()
            cluster.make_parent()
            cluster.enroll_and_serve("A", "node-1")
            cluster.enroll_and_serve("B", "node-2")
            cluster.wait_for_members(2)
            check_across(cluster)

            payload = base64.b64encode(os.urandom(1024)).decode()
            sealed = {name: encrypt(cluster, name, payload) for name in ("A", "B")}
            encrypt_path, decrypt_path = f"/v1/keyrings/{KEYRING}/encrypt", f"/v1/keyrings/{KEYRING}/decrypt"
            # Pairs of workloads, A's then B's; every round runs each pair, the node that goes first alternating.
            pairs = [
                (("encrypt on A", "A", encrypt_path, {"plaintext": payload}),
                 ("encrypt on B", "B", encrypt_path, {"plaintext": payload})),
                (("decrypt on A, sealed on A (single node)", "A", decrypt_path, {"ciphertext": sealed["A"]}),
                 ("decrypt on B, sealed on A (cross node)", "B", decrypt_path, {"ciphertext": sealed["A"]})),
                (("decrypt on A, sealed on B (cross node)", "A", decrypt_path, {"ciphertext": sealed["B"]}),
                 ("decrypt on B, sealed on B (single node)", "B", decrypt_path, {"ciphertext": sealed["B"]})),
            ]
            runs = {workload[0]: [] for pair in pairs for workload in pair}
            load_before = load_average()
            for round_index in range(arguments.rounds):
                for pair in pairs:
                    for name, node, path, body in (pair if round_index % 2 == 0 else pair[::-1]):
                        runs[name].append(run_wrk(cluster.nodes[node], path, body, directory, arguments.duration))
                print(f"round {round_index + 1} of {arguments.rounds} done", file=sys.stderr)
            load_after = load_average()
            for name, workload_runs in runs.items():
                refuse_failures(name, workload_runs)

            # B opens A's token with A stopped, then with etcd stopped too: it calls neither.
            extra = {}
            cluster.stop_one("A")
            if decrypt(cluster, "B", sealed["A"]) != payload:
                fail("with A stopped, B did not open A's token")
            extra["decrypt on B, sealed on A, A stopped"] = run_wrk(
                cluster.nodes["B"], decrypt_path, {"ciphertext": sealed["A"]}, directory, arguments.duration)
            cluster.stop_one("etcd")
            if decrypt(cluster, "B", sealed["A"]) != payload:
                fail("with A and etcd stopped, B did not open A's token")
            extra["decrypt on B, sealed on A, A and etcd stopped"] = run_wrk(
                cluster.nodes["B"], decrypt_path, {"ciphertext": sealed["A"]}, directory, arguments.duration)
            health = cluster.health("B").get("cluster") or {}
            for name, run in extra.items():
                refuse_failures(name, [run])
        finally:
            cluster.stop()

    figures = {name: median_run(workload_runs) for name, workload_runs in runs.items()}

    def rate(name):
        return figures[name]["per_second"]

    def paired(numerator, denominator):
        """The ratio of the two runs of each round (run one after the other), median and range."""
        each = sorted(n["per_second"] / d["per_second"] for n, d in zip(runs[numerator], runs[denominator]))
        return {"median": statistics.median(each), "range": [each[0], each[-1]]}

    compared = {
        "cross / single: decrypt on B of A's token / decrypt on A of A's token":
            ("decrypt on B, sealed on A (cross node)", "decrypt on A, sealed on A (single node)"),
        "cross / single: decrypt on A of B's token / decrypt on B of B's token":
            ("decrypt on A, sealed on B (cross node)", "decrypt on B, sealed on B (single node)"),
        "same node B: decrypt of A's token / of its own":
            ("decrypt on B, sealed on A (cross node)", "decrypt on B, sealed on B (single node)"),
        "same node A: decrypt of B's token / of its own":
            ("decrypt on A, sealed on B (cross node)", "decrypt on A, sealed on A (single node)"),
        "encrypt on B / encrypt on A": ("encrypt on B", "encrypt on A"),
    }
    # Two views of each ratio: of the median figures, and the median of the rounds' own ratios (the
    # two runs of a pair are back to back, so a slow spell of a shared machine tends to fall on both).
    ratios = {name: {"of_medians": rate(n) / rate(d), "paired": paired(n, d)} for name, (n, d) in compared.items()}
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "load_before": load_before, "load_after": load_after,
               "b_health_after_etcd_stopped": health}
    if arguments.json:
        print(json.dumps({"figures": figures, "ratios": ratios, "extra": extra, "runs": runs, "machine": machine}, indent=2))
    else:
        print(f"{machine['cores']} cores ({machine['cpu']}); load average before {load_before}, after {load_after}; "
              f"{arguments.rounds} rounds of {arguments.duration} s; B's health with A and etcd stopped: {json.dumps(health)}")
        print(table(figures, ratios, extra))


if __name__ == "__main__":
    main()
