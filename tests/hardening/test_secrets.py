"""No API secret appears in the server log or the database.

A run exercises successful and failed authentication, the throttle and the rate limit. Then
every secret issued in it, and every wrong secret sent, is searched for in the log and in the
database files (or a pg_dump)."""

import base64
import subprocess

import pytest
import requests

from hardening_support import Server, Workspace, database_for, engines, unique


def database_bytes(engine, db, tmp_path):
    if engine == "sqlite":
        blobs = b""
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = tmp_path / f"roster.db{suffix}"
            if path.exists():
                blobs += path.read_bytes()
        return blobs
    dump = subprocess.run(["pg_dump", "--data-only", db], capture_output=True, check=True,
                          timeout=60)
    return dump.stdout


@pytest.mark.parametrize("engine", engines())
def test_secrets_not_in_log_or_database(engine, tmp_path):
    db = database_for(engine, tmp_path)
    server = Server(db, tmp_path / "server.log", ["--auth-failure-limit", "5/60",
                                                  "--rate-limit", "20/60"])
    secrets = []
    try:
        ws = Workspace(server, unique("ws"))
        other = Workspace(server, unique("ws"))
        revoked = server.cli.workspace_token(ws.slug)
        server.cli.run("token", "revoke", revoked.token)
        issued = [ws.token, ws.admin_token, other.token, other.admin_token, revoked]
        secrets += [credentials.secret for credentials in issued]
        wrong = [credentials.secret[::-1] for credentials in issued]
        secrets += wrong

        session = requests.Session()
        url = server.url(f"/api/{ws.slug}/groups")
        for credentials in issued:
            session.get(url, auth=credentials.auth, timeout=10)
            session.post(url, auth=credentials.auth, json={"user_group": {"name": unique("g")}},
                         timeout=10)
        for credentials, secret in zip(issued, wrong):
            session.get(url, auth=(credentials.token, secret), timeout=10)
        # Past the throttle and the rate limit, with a malformed header too.
        for _ in range(25):
            session.get(url, auth=ws.token.auth, timeout=10)
            session.get(url, auth=(ws.token.token, wrong[0]), timeout=10)
        session.get(url, headers={"Authorization": "Basic " + secrets[0]}, timeout=10)
        session.get(server.url("/api/verify"), auth=other.token.auth, timeout=10)
        assert session.get(url, auth=ws.token.auth, timeout=10).status_code == 429
    finally:
        assert server.stop() == 0

    log = server.log_path.read_bytes()
    stored = database_bytes(engine, db, tmp_path)
    assert ws.token.token.encode() in stored, "the database dump holds no token at all"
    for secret in secrets:
        header = base64.b64encode(f"{ws.token.token}:{secret}".encode())
        assert secret.encode() not in log, "a secret is in the server log"
        assert secret.encode() not in stored, "a secret is in the database"
        assert header not in log, "an Authorization header is in the server log"
