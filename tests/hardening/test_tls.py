"""HTTPS with `serve --tls-cert FILE --tls-key FILE`, tested with a self-signed certificate
made by openssl and clients that verify it (curl --cacert, requests)."""

import json
import subprocess

import pytest
import requests

from hardening_support import (ROSTER_BIN, Server, Workspace, connect, new_database,
                               read_until_closed, unique)


def make_certificate(directory, name="server"):
    """Writes a self-signed EC certificate for 127.0.0.1 and localhost; returns (cert, key)."""
    cert = directory / f"{name}-cert.pem"
    key = directory / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, certificate):
    tmp = tmp_path_factory.mktemp("tls-server")
    cert, key = certificate
    server = Server(new_database(tmp), tmp / "server.log",
                    ["--tls-cert", str(cert), "--tls-key", str(key), "--read-timeout", "1"])
    yield server
    assert server.stop() == 0


def test_serves_https(tls_server):
    assert tls_server.base_url.startswith("https://127.0.0.1:")


def test_curl_with_cacert(tls_server, certificate):
    cert, _ = certificate
    result = subprocess.run(["curl", "-sS", "--cacert", str(cert), tls_server.url("/healthz")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"status": "ok"}


def test_curl_authenticated_request(tls_server, certificate):
    cert, _ = certificate
    ws = Workspace(tls_server, unique("ws"))
    result = subprocess.run(
        ["curl", "-sS", "--cacert", str(cert), "-u", f"{ws.token.token}:{ws.token.secret}",
         "-H", "Content-Type: application/json",
         "-d", json.dumps({"user_group": {"name": "Over TLS"}}), tls_server.url(f"/api/{ws.slug}/groups")],
        capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["name"] == "Over TLS"


def test_curl_rejects_unknown_certificate(tls_server):
    result = subprocess.run(["curl", "-sS", tls_server.url("/healthz")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 60, result.stderr  # peer certificate cannot be authenticated


def test_keep_alive_and_large_body_over_tls(tls_server, certificate):
    cert, _ = certificate
    ws = Workspace(tls_server, unique("ws"))
    session = requests.Session()
    session.auth = ws.token.auth
    verify = str(cert)  # per request: a CA bundle named in the environment overrides Session.verify
    for _ in range(3):
        response = session.get(tls_server.url(f"/api/{ws.slug}/groups"), verify=verify, timeout=10)
        assert response.status_code == 200
    response = session.post(tls_server.url(f"/api/{ws.slug}/groups"),
                            data=b" " * (1024 * 1024 + 1), verify=verify,
                            headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert response.json()["id"] == "payload_too_large"
    assert session.get(tls_server.url("/healthz"), verify=verify, timeout=10).status_code == 200


def test_plain_http_on_tls_port_gets_no_response(tls_server):
    sock = connect(tls_server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    data, closed_after = read_until_closed(sock, 5)
    sock.close()
    assert closed_after is not None
    assert not data.startswith(b"HTTP/")


def test_stalled_handshake_dropped(tls_server):
    sock = connect(tls_server)
    data, closed_after = read_until_closed(sock, 5)
    sock.close()
    assert closed_after is not None, "a client that never started the handshake was kept"


def run_serve(tmp_path, *args):
    return subprocess.run([ROSTER_BIN, "--db", str(tmp_path / "roster.db"), "serve", "--listen",
                           "127.0.0.1:0", *args], capture_output=True, text=True, timeout=30)


def test_missing_key_option_rejected(tmp_path, certificate):
    cert, _ = certificate
    result = run_serve(tmp_path, "--tls-cert", str(cert))
    assert result.returncode == 2
    assert "--tls-key" in result.stderr


def test_missing_certificate_file_rejected(tmp_path, certificate):
    _, key = certificate
    result = run_serve(tmp_path, "--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", str(key))
    assert result.returncode == 2
    assert "nope.pem" in result.stderr


def test_key_of_another_certificate_rejected(tmp_path, certificate):
    cert, _ = certificate
    _, other_key = make_certificate(tmp_path, "other")
    result = run_serve(tmp_path, "--tls-cert", str(cert), "--tls-key", str(other_key))
    assert result.returncode == 1
    assert "cannot load TLS private key" in result.stderr


def test_invalid_certificate_file_rejected(tmp_path, certificate):
    _, key = certificate
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    result = run_serve(tmp_path, "--tls-cert", str(garbage), "--tls-key", str(key))
    assert result.returncode == 1
    assert "cannot load TLS certificate chain" in result.stderr
