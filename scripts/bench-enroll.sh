#!/usr/bin/env bash
# Times enrollment with the release binary, one process per step as an operator runs it:
# `enroll request` (the new node makes its one-time key), `enroll issue` (the parent certifies,
# signs and seals, granting one keyring), `enroll install` (the node opens, verifies and installs
# into a fresh SQLite database). Prints the median and the slowest of RUNS runs, in milliseconds.
# Usage: scripts/bench-enroll.sh ARBOR_EXECUTABLE [RUNS]
set -euo pipefail
arbor=$(realpath "$1")
runs=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export ARBOR_KEYRINGS="$work/keyrings" ARBOR_TRUST_STORE="$work/trust"
printf 'bench passphrase\n' > pass && chmod 600 pass
"$arbor" root init -o root.key --passphrase-file pass --unsafe-scrypt-log-n 10 > /dev/null
"$arbor" derive eu --root root.key --passphrase-file pass -o eu.key > /dev/null
"$arbor" cert issue eu --root root.key --passphrase-file pass -o eu.chain > /dev/null
"$arbor" keyring create payments --key eu.key > /dev/null

now_us() { echo $(( $(date +%s%N) / 1000 )); }
: > request.txt; : > issue.txt; : > install.txt; : > total.txt
for run in $(seq "$runs"); do
    t0=$(now_us)
    code=$("$arbor" enroll request --data "node-$run" --anchor root.cert --parent eu --json | jq -r .code)
    t1=$(now_us)
    "$arbor" enroll issue --key eu.key --chain eu.chain --path "eu/node-$run" --recipients-file "node-$run/enroll.recipient" \
        --code "$code" --keyring payments --etcd http://127.0.0.1:2379 -o "node-$run.bundle" > /dev/null
    t2=$(now_us)
    "$arbor" enroll install --data "node-$run" --bundle "node-$run.bundle" > /dev/null
    t3=$(now_us)
    echo $((t1 - t0)) >> request.txt; echo $((t2 - t1)) >> issue.txt; echo $((t3 - t2)) >> install.txt; echo $((t3 - t0)) >> total.txt
done
summary() { sort -n "$2" | awk -v name="$1" '{ v[NR] = $1 } END { printf "%-40s median %7.1f ms   max %7.1f ms\n", name, v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }'; }
echo "enrollment, $runs runs, one process per step ($(nproc) cores)"
summary "enroll request (one-time key)" request.txt
summary "enroll issue (certify, sign, seal)" issue.txt
summary "enroll install (open, verify, install)" install.txt
summary "total" total.txt
