"""Connection abuse over raw sockets: slow and trickling clients, header and body limits, the
connection cap, pipelining, clients that vanish mid-body, and graceful shutdown."""

import json
import signal
import socket
import time

import pytest

from hardening_support import (Server, Workspace, basic_authorization, connect, new_database,
                                read_response, read_until_closed, unique)

READ_TIMEOUT = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("connections")
    instance = Server(new_database(tmp), tmp / "server.log",
                      ["--read-timeout", str(READ_TIMEOUT)])
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def workspace(server):
    return Workspace(server, unique("ws"))


def post_head(ws, length, extra=""):
    return (f"POST /api/{ws.slug}/groups HTTP/1.1\r\nHost: test\r\n"
            f"Authorization: {basic_authorization(ws.token)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n").encode()


def group_names(ws):
    response = ws.get("/groups")
    assert response.status_code == 200, response.text
    return {group["name"] for group in response.json()["_embedded"]["groups"]}


def test_slow_header_client_dropped(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
    data, closed_after = read_until_closed(sock, READ_TIMEOUT + 4)
    sock.close()
    assert closed_after is not None, "the server kept a half-sent request open"
    assert data == b""
    assert closed_after >= READ_TIMEOUT * 0.5


def test_trickling_header_client_dropped(server):
    """The read timeout covers the whole header, not each byte."""
    sock = connect(server)
    header = b"GET /healthz HTTP/1.1\r\n" + b"X-Slow: " + b"a" * 200
    start = time.monotonic()
    closed_after = None
    for byte in header:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed_after = time.monotonic() - start
            break
        sock.settimeout(0.2)
        try:
            if sock.recv(1024) == b"":
                closed_after = time.monotonic() - start
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed_after = time.monotonic() - start
            break
    sock.close()
    assert closed_after is not None, "a client trickling one byte every 0.2 s was never dropped"
    assert closed_after < READ_TIMEOUT + 3


def test_slow_body_dropped_without_write(server, workspace):
    name = unique("slow")
    body = json.dumps({"user_group": {"name": name}}).encode()
    sock = connect(server)
    sock.sendall(post_head(workspace, len(body) + 20) + body)
    data, closed_after = read_until_closed(sock, READ_TIMEOUT + 4)
    sock.close()
    assert closed_after is not None, "the server kept a stalled body open"
    assert data == b"", "a request with an incomplete body got a response"
    assert name not in group_names(workspace)


def test_disconnect_mid_body_leaves_no_write(server, workspace):
    name = unique("gone")
    body = json.dumps({"user_group": {"name": name}}).encode()
    sock = connect(server)
    sock.sendall(post_head(workspace, len(body) + 5) + body)
    time.sleep(0.2)
    sock.close()

    chunked_name = unique("gonechunked")
    chunk = json.dumps({"user_group": {"name": chunked_name}}).encode()
    sock = connect(server)
    head = post_head(workspace, 0).replace(b"Content-Length: 0\r\n",
                                           b"Transfer-Encoding: chunked\r\n")
    sock.sendall(head + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    time.sleep(0.2)
    sock.close()

    time.sleep(0.3)
    names = group_names(workspace)
    assert name not in names
    assert chunked_name not in names


def test_complete_chunked_body_is_written(server, workspace):
    """The counterpart of the test above: the same chunked request, finished, is written."""
    name = unique("chunked")
    chunk = json.dumps({"user_group": {"name": name}}).encode()
    sock = connect(server)
    head = post_head(workspace, 0).replace(b"Content-Length: 0\r\n",
                                           b"Transfer-Encoding: chunked\r\n")
    sock.sendall(head + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n")
    response, _ = read_response(sock)
    sock.close()
    assert response.status == 200, response.body
    assert name in group_names(workspace)


def test_final_chunk_split_across_reads(server, workspace):
    """Beast 1.81 asserts on a final chunk that arrives as "0\r\n", "\r", "\n". Builds with
    assertions enabled must still respond to it (see src/http/assertion_handler.cpp)."""
    name = unique("split")
    chunk = json.dumps({"user_group": {"name": name}}).encode()
    head = post_head(workspace, 0).replace(b"Content-Length: 0\r\n",
                                           b"Transfer-Encoding: chunked\r\n")
    sock = connect(server)
    for piece in (head + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n", b"0\r\n", b"\r",
                  b"\n"):
        sock.sendall(piece)
        time.sleep(0.1)
    response, _ = read_response(sock)
    sock.close()
    assert response.status == 200, response.body
    assert name in group_names(workspace)


def test_header_limit_gets_431(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    response, _ = read_response(sock)
    data, closed_after = read_until_closed(sock, 4)
    sock.close()
    assert response.status == 431
    assert response.headers["connection"].lower() == "close"
    assert json.loads(response.body)["id"] == "bad_request"
    assert closed_after is not None


def test_header_just_under_limit_accepted(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 15000 + b"\r\n\r\n")
    response, _ = read_response(sock)
    sock.close()
    assert response.status == 200


def test_declared_body_over_limit_gets_413(server, workspace):
    sock = connect(server)
    sock.sendall(post_head(workspace, 2 * 1024 * 1024))
    response, _ = read_response(sock)
    sock.close()
    assert response.status == 413
    assert json.loads(response.body)["id"] == "payload_too_large"
    assert response.headers["connection"].lower() == "close"


def test_declared_body_over_limit_reads_later_fields(server, workspace):
    """Authorization after an over-limit Content-Length is still read: 413, not 401."""
    sock = connect(server)
    sock.sendall((f"POST /api/{workspace.slug}/groups HTTP/1.1\r\nHost: test\r\n"
                  f"Content-Length: {2 * 1024 * 1024}\r\nContent-Type: application/json\r\n"
                  f"Authorization: {basic_authorization(workspace.token)}\r\n\r\n").encode())
    response, _ = read_response(sock)
    sock.close()
    assert response.status == 413, response.body


def test_unauthenticated_body_over_limit_gets_401(server, workspace):
    sock = connect(server)
    head = post_head(workspace, 2 * 1024 * 1024).replace(
        f"Authorization: {basic_authorization(workspace.token)}\r\n".encode(), b"")
    sock.sendall(head)
    response, _ = read_response(sock)
    sock.close()
    assert response.status == 401


def test_chunked_body_over_limit_gets_413(server, workspace):
    name = unique("huge")
    prefix = json.dumps({"user_group": {"name": name, "description": ""}})[:-3].encode()
    filler = b" " * (1024 * 1024)
    sock = connect(server)
    head = post_head(workspace, 0).replace(b"Content-Length: 0\r\n",
                                           b"Transfer-Encoding: chunked\r\n")
    sock.sendall(head + f"{len(prefix):x}\r\n".encode() + prefix + b"\r\n")
    try:
        sock.sendall(f"{len(filler):x}\r\n".encode() + filler + b"\r\n0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may stop reading once the limit is passed
    response, _ = read_response(sock)
    sock.close()
    assert response.status == 413
    assert name not in group_names(workspace)


def test_pipelined_requests_answered_in_order(server, workspace):
    auth = basic_authorization(workspace.token)
    names = [unique("pipe") for _ in range(3)]
    requests_bytes = b""
    for name in names:
        body = json.dumps({"user_group": {"name": name}}).encode()
        requests_bytes += post_head(workspace, len(body)) + body
    requests_bytes += (f"GET /api/{workspace.slug}/groups/nosuchgroup1 HTTP/1.1\r\nHost: test\r\n"
                       f"Authorization: {auth}\r\n\r\n").encode()
    requests_bytes += b"POST /api/" + workspace.slug.encode() + (
        f"/groups HTTP/1.1\r\nHost: test\r\nAuthorization: {auth}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1\r\n\r\n{").encode()
    requests_bytes += b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"
    sock = connect(server)
    sock.sendall(requests_bytes)
    responses = []
    rest = b""
    for _ in range(6):
        response, rest = read_response(sock, rest)
        responses.append(response)
    sock.close()
    assert [r.status for r in responses] == [200, 200, 200, 404, 400, 200]
    assert [json.loads(r.body)["name"] for r in responses[:3]] == names
    request_ids = [r.headers["x-request-id"] for r in responses]
    assert request_ids == sorted(request_ids), "request ids show the requests ran out of order"
    assert len(set(request_ids)) == 6


def test_connection_cap(tmp_path):
    server = Server(new_database(tmp_path), tmp_path / "server.log",
                    ["--max-connections", "3", "--read-timeout", "10"])
    try:
        open_connections = []
        for _ in range(3):
            sock = connect(server)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            response, _ = read_response(sock)
            assert response.status == 200
            open_connections.append(sock)

        extra = connect(server)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        data, closed_after = read_until_closed(extra, 3)
        extra.close()
        assert closed_after is not None, "a connection past the cap was kept open"
        assert data == b"", "a connection past the cap was served"
        assert "connection limit of 3 reached" in server.log_text()

        # A freed slot is usable again.
        open_connections.pop().close()
        deadline = time.monotonic() + 5
        served = False
        while not served and time.monotonic() < deadline:
            sock = connect(server)
            try:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                response, _ = read_response(sock)
                served = response.status == 200
            except (AssertionError, ConnectionResetError, BrokenPipeError):
                time.sleep(0.1)
            finally:
                sock.close()
        assert served, "no connection was served after one of the capped ones closed"
        for sock in open_connections:
            sock.close()
    finally:
        assert server.stop() == 0


def test_sigterm_finishes_in_flight_request(tmp_path):
    server = Server(new_database(tmp_path), tmp_path / "server.log", ["--read-timeout", "10"])
    ws = Workspace(server, unique("ws"))
    idle = connect(server)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    assert read_response(idle)[0].status == 200

    name = unique("term")
    body = json.dumps({"user_group": {"name": name}}).encode()
    sock = connect(server)
    sock.sendall(post_head(ws, len(body)) + body[:10])
    time.sleep(0.3)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)

    # The idle keep-alive connection is closed at once; new connections are refused.
    data, closed_after = read_until_closed(idle, 3)
    idle.close()
    assert closed_after is not None, "an idle connection stayed open after SIGTERM"
    with pytest.raises(OSError):
        late = connect(server, timeout=2)
        late.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        read_response(late)

    sock.sendall(body[10:])
    response, _ = read_response(sock)
    sock.close()
    assert response.status == 200, response.body
    assert json.loads(response.body)["name"] == name
    assert response.headers["connection"].lower() == "close"
    assert server.process.wait(timeout=10) == 0

    server.start()
    try:
        assert name in group_names(ws)
    finally:
        assert server.stop() == 0


def test_sigterm_grace_period_ends_stalled_request(tmp_path):
    server = Server(new_database(tmp_path), tmp_path / "server.log",
                    ["--read-timeout", "30", "--shutdown-grace", "1"])
    ws = Workspace(server, unique("ws"))
    sock = connect(server)
    sock.sendall(post_head(ws, 100) + b"{")
    time.sleep(0.2)
    start = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_code = server.process.wait(timeout=10)
    sock.close()
    assert time.monotonic() - start < 5
    assert exit_code == 0
    assert "shutdown grace period ended" in server.log_text()
