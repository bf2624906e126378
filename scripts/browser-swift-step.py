#!/usr/bin/env python3
"""The Swift side of scripts/browser-tests.py (its --swift-step): the Swift SDK, through `arbor chat`,
reads what the browser wrote and writes for the browser to read.

Runs with ARBOR_NODE (the node's URL) and ARBOR_STEP_DIR set. Reads $ARBOR_STEP_DIR/browser.json
{node, conversation, writer, reader: {name, password}, texts, streamed}; signs in as the reader;
exits 0 only if every text the browser wrote and its streamed reply were read, verified and sealed;
then, as the reader, sends a message and a streamed reply (the simulated assistant) and leaves
$ARBOR_STEP_DIR/swift.json {text, streamed} for the browser to read back.

Usage: scripts/browser-swift-step.py [--arbor .build/debug/arbor]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arbor", default=os.path.join(ROOT, ".build", "debug", "arbor"))
    options = parser.parse_args()
    options.arbor = os.path.abspath(options.arbor)
    step = os.environ["ARBOR_STEP_DIR"]
    with open(os.path.join(step, "browser.json")) as f:
        described = json.load(f)
    reader = described["reader"]
    password_file = os.path.join(step, "reader.password")
    with open(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(reader["password"])
    account = ["--node", os.environ["ARBOR_NODE"], "--name", reader["name"], "--password-file", password_file]
    conversation = described["conversation"]

    def chat(*arguments):
        result = subprocess.run([options.arbor, "chat", *arguments, *account], capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            print(f"  swift step: arbor chat {arguments[0]} failed ({result.returncode}): {result.stderr.strip()}", file=sys.stderr)
            sys.exit(1)
        return result.stdout

    failures = 0

    def check(name, ok, detail=""):
        nonlocal failures
        print(f"  {'ok' if ok else 'FAIL'}    swift step: {name}" + ("" if ok else f": {detail}"))
        failures += 0 if ok else 1

    history = json.loads(chat("read", conversation, "--json"))
    read = [row for row in history if not row.get("refused")]
    check("no message of the browser's conversation is refused by the Swift reader",
          len(read) == len(history), [row for row in history if row.get("refused")])
    texts = [row["text"] for row in read if row["kind"] == "text"]
    for text in described["texts"]:
        check(f"the Swift SDK reads {text!r}, signature and ciphertext checked", text in texts, texts)
    streams = [row["text"] for row in read if row["kind"] == "stream"]
    check("the Swift SDK reads the browser's streamed reply to its seal, the same text",
          described["streamed"] in streams, streams)

    text = f"hello from the Swift SDK ({os.getpid()})"
    chat("send", conversation, text)
    chat("assistant", conversation, "--json")
    history = json.loads(chat("read", conversation, "--json"))
    mine = [row for row in history if row.get("sender") == reader["name"] and row["kind"] == "stream" and not row.get("refused")]
    check("the Swift assistant's streamed reply reads back sealed", bool(mine), history[-3:])
    with open(os.path.join(step, "swift.json"), "w") as f:
        json.dump({"text": text, "streamed": mine[-1]["text"] if mine else None}, f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
