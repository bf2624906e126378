#!/usr/bin/env python3
"""Runs README.md's shell examples as written, top to bottom, in a fresh directory.

Usage: run-readme.py ARBOR_EXECUTABLE [README.md]

Every ```sh block is typed, line by line, into one interactive bash in a pseudo-terminal (as a
newcomer would), with the built `arbor` first on PATH and HOME in the fresh directory. The prompts a
person answers are answered: passphrases (always the same one), SLIP-39 mnemonics or shares (read
from the files the example wrote), and "Type 'yes'". Each command must exit 0, or the status its
comment states (`# exit 3: revoked`), and print a line that starts with what a `# → text` comment
shows (a trailing … is left out); the shell has `pipefail` set, so a pipeline fails when any
part of it does. Three kinds of line are not typed: `scripts/test` (this runner is part of it),
`swift build …` (the runner is given the built `arbor`), and `arbor serve --dev`, which runs until
Ctrl-C: it is started beside the shell, its root token goes into `$T` as the README says, and it is
stopped at the end.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pexpect

PASSPHRASE = "readme example passphrase"
DONE = re.compile(r"__README_RC=(\d+)__")
PASSPHRASE_PROMPT = re.compile(r"[Pp]assphrase[^\n]*: $")
SHARE_PROMPT = re.compile(r"(Mnemonic|Share) \d+: $")
CONFIRM_PROMPT = re.compile(r"Type 'yes'[^\n]*: $")
EXPECTED_EXIT = re.compile(r"#.*\bexit (\d+)\b")
EXPECTED_OUTPUT = re.compile(r"# → (.+?)\s*$")


def without_comment(line):
    """The command without its trailing `# comment` (a # outside quotes, after a space)."""
    quote = None
    index = 0
    while index < len(line):
        character = line[index]
        if quote == '"' and character == "\\":
            index += 1  # an escaped character inside double quotes
        elif quote and character == quote:
            quote = None
        elif not quote and character in "'\"":
            quote = character
        elif not quote and character == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
        index += 1
    return line.rstrip()


def commands(readme):
    """The commands of every ```sh block, continuation lines joined, with their expected exit status."""
    text = open(readme, encoding="utf-8").read()
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        pending = ""
        for line in block.splitlines():
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            line = pending + line
            pending = ""
            if not line.strip():
                continue
            expected = EXPECTED_EXIT.search(line)
            shown = EXPECTED_OUTPUT.search(line)
            yield without_comment(line).strip(), int(expected.group(1)) if expected else 0, shown and shown.group(1).rstrip("…")


class DevNode:
    """`arbor serve --dev`, which the README runs in its own terminal."""

    def __init__(self, command, cwd, env):
        self.process = pexpect.spawn("bash", ["-c", command], cwd=cwd, env=env, encoding="utf-8", timeout=120)
        self.process.expect(r"Root token: (\S+)")
        self.token = self.process.match.group(1)
        # The node logs every request to its terminal: read it all the time, or the terminal's
        # buffer fills and the node blocks on its next log line.
        self.ended = threading.Event()
        self.reader = threading.Thread(target=self.drain, daemon=True)
        self.reader.start()

    def drain(self):
        while True:
            try:
                self.process.read_nonblocking(65536, timeout=1)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                break
        self.ended.set()

    def stop(self):
        self.process.kill(signal.SIGINT)
        if not self.ended.wait(timeout=60):
            raise SystemExit("README: arbor serve --dev did not stop within 60 s of Ctrl-C")
        self.reader.join()
        self.process.close()
        if self.process.exitstatus != 0:
            raise SystemExit(f"README: arbor serve --dev exited {self.process.exitstatus} after Ctrl-C")


def share_lines(directory):
    """The shares `root split -o shares/` wrote (the only directory of that name), one per file, in file name order."""
    lines = []
    for path in sorted(glob.glob(os.path.join(directory, "**", "shares", "*"), recursive=True)):
        with open(path, encoding="utf-8") as file:
            lines += [line.strip() for line in file if line.strip() and not line.startswith("#")]
    return lines


def run(command, shell, directory, timeout):
    """Types one command, answers its prompts, and returns its exit status and output."""
    shell.sendline(command + '; echo "__README_RC=$?__"')
    shares = None
    output = ""
    while True:
        index = shell.expect([DONE, PASSPHRASE_PROMPT, SHARE_PROMPT, CONFIRM_PROMPT], timeout=timeout)
        output += shell.before
        if index == 0:
            return int(shell.match.group(1)), output
        if index == 1:
            shell.sendline(PASSPHRASE)
        elif index == 2:
            shares = share_lines(directory) if shares is None else shares
            if not shares:
                raise SystemExit(f"README: `{command}` asks for more shares than the example wrote")
            shell.sendline(shares.pop(0))
        else:
            shell.sendline("yes")


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    arbor = os.path.abspath(sys.argv[1])
    readme = os.path.abspath(sys.argv[2] if len(sys.argv) == 3 else "README.md")
    # A timeout's SIGTERM still runs the clean-up below (the dev node must not outlive the run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("README: stopped by SIGTERM"))
    directory = tempfile.mkdtemp(prefix="arbor-readme-")
    bin_dir = os.path.join(directory, ".bin")
    os.makedirs(os.path.join(directory, "home"))
    os.makedirs(bin_dir)
    os.symlink(arbor, os.path.join(bin_dir, "arbor"))
    env = dict(os.environ, HOME=os.path.join(directory, "home"), PATH=bin_dir + os.pathsep + os.environ["PATH"])
    for variable in ("ARBOR_TRUST_STORE", "ARBOR_KEYRINGS", "ARBOR_CONFIG"):
        env.pop(variable, None)

    shell = pexpect.spawn(
        "bash", ["--norc", "--noprofile"], cwd=directory, env=dict(env, PS1="", PS2=""), encoding="utf-8", dimensions=(50, 250)
    )
    if os.environ.get("README_TRACE"):
        shell.logfile_read = sys.stderr
    shell.sendline("set -o pipefail")
    node = None
    count = 0
    try:
        for command, expected, shown in commands(readme):
            if command.startswith("scripts/test"):
                print(f"README: not typed (this runner is part of it): {command}")
                continue
            if command.startswith("swift build"):
                print(f"README: not typed (the runner was given {arbor}): {command}")
                continue
            command = command.replace("swift run arbor", "arbor")
            if re.match(r"arbor serve --dev\b", command):
                node = DevNode(command, directory, env)
                shell.sendline(f"export T='{node.token}'")
                print(f"README: started beside the shell, token in $T: {command}")
                continue
            started = time.monotonic()
            status, output = run(command, shell, directory, timeout=900)
            count += 1
            if status != expected:
                tail = "\n".join(output.splitlines()[-15:])
                raise SystemExit(f"README: `{command}` exited {status}, expected {expected}; its output ended:\n{tail}")
            # The first line is the command, echoed by the terminal.
            if shown and not any(line.strip().startswith(shown) for line in output.splitlines()[1:]):
                raise SystemExit(f"README: `{command}` did not print a line starting with {shown!r}; it printed:\n{output}")
            print(f"README: ok ({status}, {time.monotonic() - started:.1f} s): {command[:110]}")
    finally:
        shell.close(force=True)
        if node is not None:
            node.stop()
        shutil.rmtree(directory, ignore_errors=True)
    print(f"README: {count} commands ran as written")


if __name__ == "__main__":
    main()
