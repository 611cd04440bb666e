"""HTTP handling of the server: persistent connections, HTTP/1.0, pipelining, unknown paths
and methods, 100-continue, oversized headers, percent-encoded paths and Accept values."""

import base64
import http.client
import json
import re
import socket
import subprocess
from urllib.parse import urlsplit

import pytest
import requests

from conftest import unique


def address(server):
    parts = urlsplit(server.base_url)
    return parts.hostname, parts.port


def basic_header(credentials):
    return "Basic " + base64.b64encode(
        f"{credentials.token}:{credentials.secret}".encode()).decode()


def exchange(server, raw, timeout=10):
    """Sends raw bytes on a new connection and returns everything the server sends back
    until it closes the connection."""
    with socket.create_connection(address(server), timeout=timeout) as connection:
        connection.sendall(raw)
        received = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                return received
            received += chunk


def split_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status_line, headers, body


def test_keep_alive_reuses_connection(workspace, server):
    group = workspace.create_group(unique("Keep alive "))
    connection = http.client.HTTPConnection(*address(server), timeout=10)
    headers = {"Authorization": basic_header(workspace.token),
               "Accept": "application/hal+json"}
    paths = [f"/api/{workspace.slug}/groups", f"/api/{workspace.slug}/groups/{group['token']}",
             "/healthz", f"/api/{workspace.slug}/groups/{unique()}", "/api/verify"]
    statuses = []
    first_socket = None
    try:
        for path in paths:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = json.loads(response.read())
            assert isinstance(body, dict)
            assert not response.will_close, path
            statuses.append(response.status)
            if first_socket is None:
                first_socket = connection.sock
            assert connection.sock is first_socket, path
        body = json.dumps({"user_group": {"name": unique("Posted ")}})
        connection.request("POST", f"/api/{workspace.slug}/groups", body=body,
                           headers={**headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
        assert connection.sock is first_socket
    finally:
        connection.close()
    assert statuses == [200, 200, 200, 404, 200, 200]


def test_pipelined_requests_in_order(workspace, server):
    auth = basic_header(workspace.token)
    one = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    two = (f"GET /api/{workspace.slug}/groups/{unique()} HTTP/1.1\r\nHost: x\r\n"
           f"Authorization: {auth}\r\n\r\n")
    three = (f"GET /api/verify HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n"
             "Connection: close\r\n\r\n")
    raw = exchange(server, (one + two + three).encode())
    # Each status line follows the previous body directly, without a line break.
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)
    assert statuses == [b"200", b"404", b"200"]


def test_http_1_0_request(workspace, server):
    raw = exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n")
    status_line, headers, body = split_response(raw)
    assert status_line.split()[1] == "200"
    assert headers["content-type"] == "application/hal+json"
    assert int(headers["content-length"]) == len(body)
    assert json.loads(body) == {"status": "ok"}

    request = (f"GET /api/{workspace.slug}/groups HTTP/1.0\r\n"
               f"Authorization: {basic_header(workspace.token)}\r\n\r\n")
    status_line, _, body = split_response(exchange(server, request.encode()))
    assert status_line.split()[1] == "200"
    assert "groups" in json.loads(body)["_embedded"]


@pytest.mark.parametrize("path", ["/", "/nope", "/api", "/api/", "/healthz/extra",
                                  "/api/x/groups/y/z/w", "/organizations/acme"])
def test_unknown_path_gets_404_json(server, path):
    response = requests.get(server.url(path), timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/hal+json"
    body = response.json()
    assert body["id"] == "not_found"
    assert body["message"]


def test_unknown_group_subpath_gets_404_json(workspace):
    response = workspace.get(f"/groups/{unique()}/unknown")
    assert response.status_code == 404
    assert response.json()["id"] == "not_found"


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/groups", {"GET", "POST"}),
    ("DELETE", "/groups", {"GET", "POST"}),
    ("POST", "/groups/abcdefghijkl", {"GET", "PATCH", "DELETE"}),
    ("PUT", "/groups/abcdefghijkl", {"GET", "PATCH", "DELETE"}),
])
def test_wrong_method_gets_405(workspace, method, path, allowed):
    response = workspace.session.request(method, workspace.url(path), json={}, timeout=10)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/hal+json"
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allowed
    body = response.json()
    assert set(body) <= {"id", "message", "field"}
    assert body["message"]


def test_wrong_method_on_healthz_gets_405(server):
    response = requests.post(server.url("/healthz"), timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


def test_expect_100_continue_with_curl(workspace, server):
    name = unique("Continue ")
    body = json.dumps({"user_group": {"name": name, "description": "d" * 2000}})
    assert len(body) > 2000
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--verbose", "--user",
         f"{workspace.token.token}:{workspace.token.secret}",
         "--header", "Content-Type: application/json", "--header", "Expect: 100-continue",
         "--data-binary", "@-", workspace.url("/groups")],
        input=body.encode(), capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    trace = result.stderr.decode("latin-1")
    assert "< HTTP/1.1 100 Continue" in trace
    assert "< HTTP/1.1 200 OK" in trace
    created = json.loads(result.stdout)
    assert created["name"] == name
    assert len(created["description"]) == 2000


def test_expect_continue_over_limit_413(workspace):
    body = b'{"user_group": {"name": "big"}}' + b" " * (2 * 1024 * 1024)
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--verbose", "--user",
         f"{workspace.token.token}:{workspace.token.secret}",
         "--header", "Content-Type: application/json", "--header", "Expect: 100-continue",
         "--data-binary", "@-", workspace.url("/groups")],
        input=body, capture_output=True, timeout=60)
    trace = result.stderr.decode("latin-1")
    assert "< HTTP/1.1 413" in trace
    assert "100 Continue" not in trace
    assert json.loads(result.stdout)["id"] == "payload_too_large"


def test_oversized_headers_get_431(workspace, server):
    request = ("GET /healthz HTTP/1.1\r\nHost: x\r\n"
               + "".join(f"X-Padding-{i}: {'p' * 1024}\r\n" for i in range(20))
               + "\r\n").encode()
    assert len(request) > 20 * 1024
    status_line, headers, body = split_response(exchange(server, request))
    assert status_line.split()[1] == "431"
    assert headers["content-type"] == "application/hal+json"
    assert json.loads(body)["message"]

    one_header = f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {'q' * 20000}\r\n\r\n".encode()
    status_line, _, _ = split_response(exchange(server, one_header))
    assert status_line.split()[1] == "431"

    assert requests.get(server.url("/healthz"), timeout=10).status_code == 200
    assert workspace.get("/groups").status_code == 200


def test_percent_encoded_path_decoded(workspace):
    group = workspace.create_group(unique("Encoded "))
    slug = "".join(f"%{ord(c):02X}" for c in workspace.slug)
    token = group["token"]
    encoded_token = f"%{ord(token[0]):02x}{token[1:]}"
    response = workspace.session.get(
        workspace.server.url(f"/api/{slug}/%67roups/{encoded_token}"), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["token"] == token
    assert response.json()["_links"]["self"]["href"] == f"/api/{workspace.slug}/groups/{token}"

    # An encoded slash stays inside its segment, so it matches no route.
    split = workspace.session.get(workspace.url(f"/groups%2F{token}"), timeout=10)
    assert split.status_code == 404
    assert split.json()["id"] == "not_found"


def test_query_values_are_percent_decoded(workspace):
    for i in range(3):
        workspace.create_group(unique(f"Query {i} "))
    response = workspace.get("/groups?%70age=1&per_page=%32")
    assert response.status_code == 200
    assert response.json()["pagination"]["per_page"] == 2
    assert response.json()["pagination"]["count"] == 2


@pytest.mark.parametrize("accept", ["application/hal+json", "application/json", "*/*", None,
                                    "text/html"])
def test_every_accept_value_gets_hal_json(workspace, accept):
    response = requests.get(workspace.url("/groups"), auth=workspace.token.auth,
                            headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/hal+json"
    assert "groups" in response.json()["_embedded"]
