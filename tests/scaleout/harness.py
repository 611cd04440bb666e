"""Helpers for the scale-out and outage tests: PostgreSQL clusters, databases and HAProxy.

Every process these helpers start listens on 127.0.0.1 only and is stopped by its owner.
"""

import importlib.util
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
START_POSTGRES = REPO / "scripts" / "start-postgres.sh"


def _load_e2e_helpers():
    """Loads tests/e2e/conftest.py under its own module name, for its helper classes."""
    spec = importlib.util.spec_from_file_location("roster_e2e_helpers",
                                                  REPO / "tests" / "e2e" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_e2e = _load_e2e_helpers()
ROSTER_BIN = _e2e.ROSTER_BIN
RosterCli = _e2e.RosterCli
RosterServer = _e2e.RosterServer
Workspace = _e2e.Workspace
unique = _e2e.unique


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    """A throwaway PostgreSQL cluster run by scripts/start-postgres.sh in a folder of its own."""

    def __init__(self):
        # Under /tmp rather than pytest's tmp_path: the postgres user must be able to enter it.
        self.folder = tempfile.mkdtemp(prefix="roster-pg-test-")
        self.admin_url = None

    def _script(self, command, timeout=120):
        result = subprocess.run(["bash", str(START_POSTGRES), command],
                                env={**os.environ, "ROSTER_PG_DIR": self.folder},
                                capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"start-postgres.sh {command} failed: {result.stderr}"
        return result.stdout.strip()

    def start(self):
        self.admin_url = self._script("start")
        return self.admin_url

    def stop(self):
        """Stops the server with a fast shutdown: sessions are closed, data is kept."""
        self._script("stop")

    def destroy(self):
        self._script("destroy")

    def server_pids(self):
        """Returns the postmaster's process id and those of its children."""
        postmaster = int(Path(self.folder, "data", "postmaster.pid").read_text().split()[0])
        pids = [postmaster]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process exited meanwhile
            if int(fields[1]) == postmaster:
                pids.append(int(stat.parent.name))
        return pids

    def signal_all(self, sig):
        for pid in self.server_pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass


def psql(admin_url, sql, database=None):
    """Runs one SQL command with psql and returns its unaligned output."""
    url = admin_url if database is None else admin_url.rsplit("/", 1)[0] + "/" + database
    result = subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                             "-c", sql],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"psql failed on {sql!r}: {result.stderr}"
    return result.stdout.strip()


def create_database(admin_url):
    """Creates an empty database and returns (its name, its URL)."""
    name = "roster_test_" + uuid.uuid4().hex[:12]
    psql(admin_url, f"CREATE DATABASE {name}")
    return name, admin_url.rsplit("/", 1)[0] + "/" + name


class HAProxy:
    """HAProxy in the foreground, round-robin over `backends` (base URLs), on a free port."""

    def __init__(self, backends, folder):
        self.port = free_port()
        servers = "\n".join(
            f"  server roster{i} {url.split('://', 1)[1]} check inter 1s fall 2 rise 1"
            for i, url in enumerate(backends))
        config = Path(folder, "haproxy.cfg")
        config.write_text(f"""global
  maxconn 512

defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s

frontend api
  bind 127.0.0.1:{self.port}
  default_backend roster

backend roster
  balance roundrobin
  option httpchk GET /healthz
{servers}
""")
        self.log = open(Path(folder, "haproxy.log"), "w")
        self.process = subprocess.Popen(["haproxy", "-f", str(config), "-db"],
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        self.base_url = f"http://127.0.0.1:{self.port}"
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "haproxy exited; see haproxy.log"
            try:
                if requests.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError("haproxy did not start serving /healthz")

    def url(self, path):
        return self.base_url + path

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
