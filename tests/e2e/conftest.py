"""Fixtures that run the real roster binary on a fresh database and a free loopback port.

The engine is SQLite unless ROSTER_TEST_PG_ADMIN_URL names a PostgreSQL server: then every
server fixture gets a database of its own on that server.
"""

import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
ROSTER_BIN = os.environ.get("ROSTER_BIN", str(REPO / "build" / "roster"))
PG_ADMIN_URL = os.environ.get("ROSTER_TEST_PG_ADMIN_URL", "")
LISTEN_PATTERN = re.compile(r"listening on http://([0-9.]+):(\d+)")


def engine_name():
    return "postgresql" if PG_ADMIN_URL else "sqlite"


def new_database(tmp_path):
    """Returns a --db value for an empty database of the engine under test."""
    if not PG_ADMIN_URL:
        return str(tmp_path / "roster.db")
    name = "roster_test_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", PG_ADMIN_URL, "-q", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True)
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


class Credentials:
    def __init__(self, token, secret):
        self.token = token
        self.secret = secret

    @property
    def auth(self):
        return (self.token, self.secret)


class RosterCli:
    """Runs `roster --db DB ...` and returns the JSON it prints."""

    def __init__(self, db):
        self.db = db

    def run(self, *args, check=True):
        result = subprocess.run([ROSTER_BIN, "--db", self.db, *args],
                                capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"roster {' '.join(args)} failed: {result.stderr}")
        return result

    def json(self, *args):
        return json.loads(self.run(*args).stdout)

    def workspace(self, slug, plan="business"):
        return self.json("workspace", "create", slug, "--plan", plan)

    def user(self, username, email=""):
        args = ["user", "create", username]
        if email:
            args += ["--email", email]
        return self.json(*args)

    def member(self, slug, username, admin=False):
        return self.json("member", "add", slug, username, *(["--admin"] if admin else []))

    def workspace_token(self, slug):
        out = self.json("token", "create", "--workspace", slug)
        return Credentials(out["token"], out["secret"])

    def user_token(self, username):
        out = self.json("token", "create", "--user", username)
        return Credentials(out["token"], out["secret"])


class RosterServer:
    """A running `roster serve` process."""

    def __init__(self, db, log_path, extra_args=()):
        self.db = db
        self.cli = RosterCli(db)
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [ROSTER_BIN, "--db", db, "serve", "--listen", "127.0.0.1:0", "--threads", "2",
             *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base_url = self._wait_for_address()

    def _wait_for_address(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = LISTEN_PATTERN.search(Path(self.log_path).read_text())
            if match:
                return f"http://{match.group(1)}:{match.group(2)}"
            if self.process.poll() is not None:
                raise AssertionError("roster serve exited: " + Path(self.log_path).read_text())
            time.sleep(0.02)
        raise AssertionError("roster serve did not start: " + Path(self.log_path).read_text())

    def url(self, path):
        return self.base_url + path

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def log_text(self):
        return Path(self.log_path).read_text()


class Workspace:
    """A Business-plan workspace with a workspace token and an admin user with a member token."""

    def __init__(self, server, slug, plan="business"):
        self.server = server
        self.slug = slug
        self.account = server.cli.workspace(slug, plan)
        self.token = server.cli.workspace_token(slug)
        self.admin_name = f"{slug}_admin"
        self.admin = server.cli.user(self.admin_name, f"{self.admin_name}@example.com")
        server.cli.member(slug, self.admin_name, admin=True)
        self.admin_token = server.cli.user_token(self.admin_name)
        self.session = requests.Session()
        self.session.auth = self.token.auth
        self.session.headers.update({"Accept": "application/hal+json",
                                     "Content-Type": "application/json"})

    def url(self, path=""):
        return self.server.url(f"/api/{self.slug}{path}")

    def get(self, path, **kwargs):
        return self.session.get(self.url(path), timeout=30, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.session.post(self.url(path), json=body, timeout=30, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.session.patch(self.url(path), json=body, timeout=30, **kwargs)

    def delete(self, path, **kwargs):
        return self.session.delete(self.url(path), timeout=30, **kwargs)

    def create_group(self, name, **fields):
        response = self.post("/groups", {"user_group": {"name": name, **fields}})
        assert response.status_code == 200, response.text
        return response.json()

    def add_user(self, username, admin=False):
        """Creates a user who is an active member of this workspace; returns the user JSON."""
        user = self.server.cli.user(username, f"{username}@example.com")
        self.server.cli.member(self.slug, username, admin=admin)
        return user


def unique(prefix="x"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roster")
    instance = RosterServer(new_database(tmp), str(tmp / "server.log"))
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def workspace(server):
    return Workspace(server, unique("ws"))


@pytest.fixture
def make_workspace(server):
    def make(plan="business"):
        return Workspace(server, unique("ws"), plan)
    return make
