"""Authentication abuse: the per-address throttle of failed authentication, the per-token rate
limit, and a statistical check that a wrong secret's response time does not depend on how much
of it matched."""

import base64
import http.client
import json
import math
import random
import statistics
import time

import pytest

from hardening_support import Server, Workspace, new_database, unique


def authorization(token, secret):
    return "Basic " + base64.b64encode(f"{token}:{secret}".encode()).decode()


class Client:
    """A keep-alive HTTP connection from a chosen loopback source address."""

    def __init__(self, server, source="127.0.0.1"):
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10,
                                                     source_address=(source, 0))

    def get(self, path, header=None):
        headers = {"Authorization": header} if header else {}
        self.connection.request("GET", path, headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def close(self):
        self.connection.close()


def wrong_secret(secret):
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


@pytest.fixture
def throttled(tmp_path):
    """A server whose throttle blocks an address for 2 s after 5 failures."""
    server = Server(new_database(tmp_path), tmp_path / "server.log",
                    ["--auth-failure-limit", "5/2"])
    ws = Workspace(server, unique("ws"))
    yield server, ws
    server.stop()


def test_default_throttle_after_20_failures(tmp_path):
    server = Server(new_database(tmp_path), tmp_path / "server.log")
    try:
        ws = Workspace(server, unique("ws"))
        path = f"/api/{ws.slug}/groups"
        bad = authorization(ws.token.token, wrong_secret(ws.token.secret))
        client = Client(server)
        statuses = [client.get(path, bad)[0] for _ in range(20)]
        assert statuses == [401] * 20
        status, headers, body = client.get(path, bad)
        assert status == 429
        assert json.loads(body)["id"] == "rate_limited"
        assert 1 <= int(headers["retry-after"]) <= 10
        # The correct secret, never used from this address, is not even checked while blocked.
        assert client.get(path, authorization(*ws.token.auth))[0] == 429
        # Requests without credentials are not throttled.
        assert client.get("/healthz")[0] == 200
        assert client.get(path)[0] == 401
        # Another address is counted apart.
        other = Client(server, "127.0.0.2")
        assert other.get(path, bad)[0] == 401
        assert other.get(path, authorization(*ws.token.auth))[0] == 200
        client.close()
        other.close()
        assert "blocked for 10 s after 20 failed authentications" in server.log_text()
    finally:
        server.stop()


def test_known_credentials_pass_during_block(throttled):
    server, ws = throttled
    path = f"/api/{ws.slug}/groups"
    good = authorization(*ws.token.auth)
    fresh = authorization(*ws.admin_token.auth)  # valid, but never used from this address
    bad = authorization(ws.token.token, wrong_secret(ws.token.secret))
    client = Client(server)
    assert client.get(path, good)[0] == 200
    assert [client.get(path, bad)[0] for _ in range(5)] == [401] * 5

    status, headers, _ = client.get(path, bad)
    assert status == 429
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= 2
    assert client.get(path, good)[0] == 200
    assert client.get(path, fresh)[0] == 429

    time.sleep(retry_after + 0.2)
    assert client.get(path, fresh)[0] == 200
    assert client.get(path, bad)[0] == 401
    client.close()


def test_success_does_not_reset_failure_count(throttled):
    """Otherwise one valid credential would let an attacker guess other secrets forever."""
    server, ws = throttled
    path = f"/api/{ws.slug}/groups"
    good = authorization(*ws.token.auth)
    bad = authorization(ws.admin_token.token, wrong_secret(ws.admin_token.secret))
    client = Client(server)
    statuses = []
    for _ in range(3):
        statuses += [client.get(path, bad)[0], client.get(path, bad)[0]]
        assert client.get(path, good)[0] == 200
    assert statuses == [401] * 5 + [429]
    client.close()


@pytest.fixture
def rate_limited(tmp_path):
    server = Server(new_database(tmp_path), tmp_path / "server.log", ["--rate-limit", "5/2"])
    ws = Workspace(server, unique("ws"))
    yield server, ws
    server.stop()


def test_token_rate_limit(rate_limited):
    server, ws = rate_limited
    path = f"/api/{ws.slug}/groups"
    token = authorization(*ws.token.auth)
    client = Client(server)
    assert [client.get(path, token)[0] for _ in range(5)] == [200] * 5

    status, headers, body = client.get(path, token)
    assert status == 429
    assert json.loads(body)["id"] == "rate_limited"
    assert headers["x-ratelimit-limit"] == "5"
    assert headers["x-ratelimit-remaining"] == "0"
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= 2

    # Another token has its own budget; unauthenticated requests are not counted.
    assert client.get(path, authorization(*ws.admin_token.auth))[0] == 200
    assert client.get(path)[0] == 401

    time.sleep(retry_after + 0.2)
    assert client.get(path, token)[0] == 200
    client.close()


def test_rate_limit_checked_right_after_authentication(rate_limited):
    server, ws = rate_limited
    token = authorization(*ws.token.auth)
    client = Client(server)
    for _ in range(5):
        assert client.get(f"/api/{ws.slug}/groups", token)[0] == 200
    # Over the limit, the response is 429 before the workspace or object is looked up.
    assert client.get("/api/nosuchworkspace/groups", token)[0] == 429
    assert client.get(f"/api/{ws.slug}/groups/nosuchgroup1", token)[0] == 429
    assert client.get("/api/verify", token)[0] == 429
    # Authentication still comes first.
    assert client.get(f"/api/{ws.slug}/groups",
                      authorization(ws.token.token, wrong_secret(ws.token.secret)))[0] == 401
    client.close()


def rank_sum_z(first, second):
    """Returns the Mann-Whitney U statistic of two samples as a z score (normal approximation,
    ties ranked by their mean rank). |z| > 4.5 has a probability under 1e-5 when both samples
    come from one distribution."""
    merged = sorted([(value, 0) for value in first] + [(value, 1) for value in second])
    ranks = [0.0] * len(merged)
    i = 0
    while i < len(merged):
        j = i
        while j + 1 < len(merged) and merged[j + 1][0] == merged[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(rank for rank, (_, group) in zip(ranks, merged) if group == 0)
    n1, n2 = len(first), len(second)
    u = rank_sum - n1 * (n1 + 1) / 2
    return (u - n1 * n2 / 2) / math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)


def measure(client, path, headers_by_class, samples_per_class):
    """Sends every class's request `samples_per_class` times in a random interleaved order and
    returns class -> response times in microseconds. Interleaving exposes all classes to the
    same background load."""
    order = [name for name in headers_by_class for _ in range(samples_per_class)]
    random.shuffle(order)
    times = {name: [] for name in headers_by_class}
    for name in order:
        start = time.perf_counter_ns()
        status, _, _ = client.get(path, headers_by_class[name])
        times[name].append((time.perf_counter_ns() - start) / 1000)
        assert status == 401
    return times


def test_wrong_secret_timing_independent_of_match(tmp_path):
    """Compares a wrong secret that matches the real one in all but its last character, and one
    that matches in its first half, with one that matches in none.

    Samples are added in batches of 1,000 per class (at most 6) until a power check shows that
    they would reveal a 10 us difference. Then no class may differ from the none-matching one.
    """
    server = Server(new_database(tmp_path), tmp_path / "server.log",
                    ["--auth-failure-limit", "1000000/1"], threads=1)
    try:
        ws = Workspace(server, unique("ws"))
        token, secret = ws.token.auth
        mismatch = "".join("A" if c != "A" else "B" for c in secret)
        classes = {
            "all_but_last_match": authorization(token, wrong_secret(secret)),
            "half_matches": authorization(token, secret[:len(secret) // 2]
                                          + mismatch[len(secret) // 2:]),
            "none_match": authorization(token, mismatch),
        }
        client = Client(server)
        path = f"/api/{ws.slug}/groups"
        measure(client, path, classes, 100)  # warm-up
        times = {name: [] for name in classes}
        for _ in range(6):
            for name, values in measure(client, path, classes, 1000).items():
                times[name] += values
            power = rank_sum_z(times["all_but_last_match"],
                               [t + 10 for t in times["none_match"]])
            if abs(power) > 4.5:
                break
        client.close()
        z = rank_sum_z(times["all_but_last_match"], times["none_match"])
        z_half = rank_sum_z(times["half_matches"], times["none_match"])
        summary = {
            "samples_per_class": len(times["none_match"]),
            "medians_us": {name: round(statistics.median(v), 1) for name, v in times.items()},
            "z_all_but_last": round(z, 2),
            "z_half": round(z_half, 2),
            "z_power_10us": round(power, 2),
        }
        assert abs(power) > 4.5, f"too noisy to detect a 10 us difference: {summary}"
        assert abs(z) <= 4.5, f"response time depends on the matching prefix: {summary}"
        assert abs(z_half) <= 4.5, f"response time depends on the matching prefix: {summary}"
    finally:
        server.stop()
