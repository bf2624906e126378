"""A throwaway PostgreSQL cluster on a free loopback port, for the browser tests' node (the Swift
tests have Tests/ArborTestSupport/PostgresServer.swift). Debian's postgresql; as the postgres user
when run as root, since PostgreSQL refuses to run as root."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def binaries():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if os.environ.get("ARBOR_POSTGRES_BIN"):
        return os.environ["ARBOR_POSTGRES_BIN"]
    return os.path.dirname(found[-1]) if found else None


def _command(tool, arguments):
    path = os.path.join(binaries(), tool)
    if os.getuid() == 0:
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", path, *arguments]
    return [path, *arguments]


class ThrowawayPostgres:
    user = "arbor"

    def __init__(self):
        if not binaries():
            raise SystemExit("PostgreSQL is not installed (apt-get install -y postgresql)")
        self.directory = tempfile.mkdtemp(prefix="arbor-browser-postgres.")
        if os.getuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        data = os.path.join(self.directory, "data")
        subprocess.run(_command("initdb", ["-D", data, "-U", self.user, "--auth=trust", "--encoding=UTF8", "--no-sync",
                                           "--no-instructions"]), check=True, capture_output=True)
        self.log = open(os.path.join(tempfile.gettempdir(), f"arbor-browser-postgres-{self.port}.log"), "wb")
        self.process = subprocess.Popen(
            _command("postgres", ["-D", data, "-p", str(self.port), "-k", self.directory, "-c", "listen_addresses=127.0.0.1",
                                  "-c", "fsync=off", "-c", "synchronous_commit=off"]),
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for _ in range(300):
            ready = subprocess.run([os.path.join(binaries(), "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)])
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        else:
            self.stop()
            raise SystemExit("PostgreSQL did not start")
        subprocess.run([os.path.join(binaries(), "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "arbor"],
                       check=True, capture_output=True)
        self.url = f"postgres://{self.user}@127.0.0.1:{self.port}/arbor?sslmode=disable"

    def dump(self):
        """pg_dump of the database: what a stolen copy holds."""
        return subprocess.run([os.path.join(binaries(), "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                               "arbor"], check=True, capture_output=True).stdout

    def stop(self):
        self.process.send_signal(2)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        os.unlink(self.log.name)
        shutil.rmtree(self.directory, ignore_errors=True)
