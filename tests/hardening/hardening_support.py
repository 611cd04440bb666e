"""Helpers shared by the hardening tests: the end-to-end fixtures' classes, a server started
with extra options (HTTPS included), and raw-socket HTTP helpers.

The end-to-end conftest is loaded under its own module name. This folder has no conftest.py, so
a pytest run that also collects tests/e2e imports only one module named conftest.
"""

import base64
import importlib.util
import re
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location("roster_e2e_conftest",
                                               REPO / "tests" / "e2e" / "conftest.py")
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

ROSTER_BIN = e2e.ROSTER_BIN
PG_ADMIN_URL = e2e.PG_ADMIN_URL
RosterCli = e2e.RosterCli
Workspace = e2e.Workspace
new_database = e2e.new_database
unique = e2e.unique

LISTEN_PATTERN = re.compile(r"listening on (https?)://([0-9.]+):(\d+)")


def engines():
    """Returns the engines to run on: SQLite always, PostgreSQL when an admin URL is set."""
    return ["sqlite", "postgresql"] if PG_ADMIN_URL else ["sqlite"]


def database_for(engine, tmp_path):
    """Returns a --db value for an empty database of `engine`."""
    if engine == "sqlite":
        return str(tmp_path / "roster.db")
    return new_database(tmp_path)


class Server:
    """A `roster serve` process with extra options, plain HTTP or HTTPS.

    Unlike the end-to-end RosterServer, it recognises an https:// address and can be started
    again on the same database and log file.
    """

    def __init__(self, db, log_path, extra_args=(), threads=2):
        self.db = db
        self.cli = RosterCli(db)
        self.log_path = Path(log_path)
        self.extra_args = list(extra_args)
        self.threads = threads
        self.process = None
        self.base_url = None
        self.port = None
        self.start()

    def start(self, timeout=20):
        log = open(self.log_path, "a")
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [ROSTER_BIN, "--db", self.db, "serve", "--listen", "127.0.0.1:0",
             "--threads", str(self.threads), *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")[offset:]
            match = LISTEN_PATTERN.search(text)
            if match:
                self.port = int(match.group(3))
                self.base_url = f"{match.group(1)}://{match.group(2)}:{self.port}"
                return
            if self.process.poll() is not None:
                raise AssertionError("roster serve exited: " + text)
            time.sleep(0.02)
        self.process.kill()
        raise AssertionError("roster serve did not start: " + self.log_path.read_text())

    def url(self, path):
        return self.base_url + path

    def kill(self):
        """Sends SIGKILL and waits for the process to end."""
        self.process.kill()
        self.process.wait(timeout=20)

    def stop(self, timeout=20):
        """Sends SIGTERM and returns the exit code (killing the process after `timeout`)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_text(self):
        return self.log_path.read_text(errors="replace")


def connect(server, source_address=None, timeout=10):
    """Opens a raw TCP connection to the server."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout,
                                    source_address=source_address)
    return sock


def read_until_closed(sock, deadline_seconds):
    """Reads until the peer closes the connection or resets it, or the deadline passes.

    Returns (bytes read, seconds until closed or None when still open at the deadline).
    """
    start = time.monotonic()
    data = b""
    while True:
        remaining = deadline_seconds - (time.monotonic() - start)
        if remaining <= 0:
            return data, None
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, None
        except ConnectionResetError:
            return data, time.monotonic() - start
        if not chunk:
            return data, time.monotonic() - start
        data += chunk


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value
        self.body = body


def read_response(sock, buffer=b""):
    """Reads one HTTP/1.1 response with a Content-Length body from `sock`.

    Returns (RawResponse, bytes read past it) so pipelined responses can be read in turn.
    """
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a full response header: {buffer!r}")
        buffer += chunk
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed inside a response body")
        buffer += chunk
    return RawResponse(status, headers, buffer[:length]), buffer[length:]


def basic_authorization(credentials):
    """Returns the Authorization header value of HTTP Basic with a token and its secret."""
    raw = f"{credentials.token}:{credentials.secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()
