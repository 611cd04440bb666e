"""PostgreSQL outages seen through one running Roster process.

The module runs its own PostgreSQL cluster, because it stops, restarts and pauses it. The
bounds below are the ones docs/deployment.md states.
"""

import signal
import threading
import time

import pytest
import requests

from harness import PostgresCluster, RosterServer, Workspace, create_database, psql, unique

# The maximum time a request may take while PostgreSQL is unreachable: pool wait (5 s) + connect
# timeout (3 s) + one unanswered statement (5 s statement timeout + 1 s grace).
REQUEST_BOUND_S = 14.0
# How fast a request fails while PostgreSQL refuses connections (it fails without waiting on
# the network; the margin covers a loaded test machine).
REFUSED_BOUND_S = 2.0
# Roster tries to connect again at most 1 s after a failed attempt.
RECOVERY_BOUND_S = 5.0
# Bounds of the traffic loops.
MAX_REQUESTS_PER_WORKER = 2000
TRAFFIC_LIMIT_S = 60.0


@pytest.fixture(scope="module")
def cluster():
    instance = PostgresCluster()
    instance.start()
    yield instance
    instance.signal_all(signal.SIGCONT)  # in case a test failed while the server was paused
    instance.destroy()


@pytest.fixture(scope="module")
def roster(cluster, tmp_path_factory):
    name, url = create_database(cluster.admin_url)
    server = RosterServer(url, str(tmp_path_factory.mktemp("outage") / "server.log"))
    server.database_name = name
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workspace(roster):
    return Workspace(roster, unique("ws"))


def roster_sessions(cluster, roster):
    return int(psql(cluster.admin_url,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'roster' "
                    f"AND datname = '{roster.database_name}'"))


def warm_pool(workspace):
    """Sends concurrent requests, so that the pool keeps several idle connections."""
    def send(_):
        for _ in range(5):
            assert workspace.get("/groups").status_code == 200

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def timed_get(url, auth=None):
    started = time.monotonic()
    try:
        response = requests.get(url, auth=auth, timeout=REQUEST_BOUND_S + 10)
        status, body = response.status_code, response.json()
    except requests.RequestException as error:
        status, body = None, {"error": repr(error)}
    return started, time.monotonic(), status, body


def wait_for_ok(url, auth=None, limit_s=RECOVERY_BOUND_S + 10):
    """Returns the seconds until `url` first returns 200, polling every 50 ms."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        _, _, status, _ = timed_get(url, auth)
        if status == 200:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{url} did not return 200 within {limit_s} s")


def test_restart_while_idle_loses_no_request(cluster, roster, workspace):
    warm_pool(workspace)
    assert roster_sessions(cluster, roster) >= 2

    cluster.stop()
    cluster.start()

    # Every pooled connection was closed by the restart; none of them may fail a request.
    for _ in range(6):
        response = workspace.get("/groups")
        assert response.status_code == 200, response.text
    assert requests.get(roster.url("/healthz"), timeout=10).status_code == 200
    assert roster.process.poll() is None


def test_stop_during_traffic_fails_fast_then_recovers(cluster, roster, workspace):
    warm_pool(workspace)
    records = []  # (worker, started, finished, status, body)
    records_lock = threading.Lock()
    stop_traffic = threading.Event()
    traffic_started = time.monotonic()

    def worker(number):
        for i in range(MAX_REQUESTS_PER_WORKER):
            if stop_traffic.is_set() or time.monotonic() - traffic_started > TRAFFIC_LIMIT_S:
                return
            started = time.monotonic()
            try:
                if i % 3 == 2:
                    response = workspace.post("/groups", {"user_group": {"name": unique("g")}})
                elif i % 3 == 1:
                    response = requests.get(roster.url("/healthz"), timeout=REQUEST_BOUND_S + 10)
                else:
                    response = workspace.get("/groups")
                status, body = response.status_code, response.json()
            except requests.RequestException as error:
                status, body = None, {"error": repr(error)}
            with records_lock:
                records.append((number, started, time.monotonic(), status, body))
            time.sleep(0.01)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for thread in workers:
        thread.start()
    try:
        time.sleep(1.0)
        cluster.stop()
        outage_began = time.monotonic()
        time.sleep(0.5)
        during = timed_get(roster.url("/healthz"))
        during_groups = timed_get(workspace.url("/groups"), workspace.token.auth)
        time.sleep(2.5)
        outage_ended = time.monotonic()
        cluster.start()
        restarted = time.monotonic()
        recovery_s = wait_for_ok(workspace.url("/groups"), workspace.token.auth)
        time.sleep(1.0)
    finally:
        stop_traffic.set()
        for thread in workers:
            thread.join(timeout=REQUEST_BOUND_S + 30)

    assert roster.process.poll() is None, "roster exited during the outage"
    assert during[2] == 503, during
    assert during[3]["id"] == "service_unavailable"
    assert during_groups[2] == 503, during_groups
    assert during_groups[3]["id"] == "service_unavailable"
    assert recovery_s < RECOVERY_BOUND_S

    assert all(status in (200, 503) for _, _, _, status, _ in records), \
        {status for _, _, _, status, _ in records}
    for _, started, finished, status, _ in records:
        assert finished - started < REQUEST_BOUND_S
    in_outage = [r for r in records if r[1] >= outage_began and r[2] <= outage_ended]
    assert len(in_outage) >= 20, "too little traffic during the outage"
    for _, started, finished, status, body in in_outage:
        assert status == 503
        assert body["id"] == "service_unavailable"
        assert finished - started < REFUSED_BOUND_S
    after = [r for r in records if r[1] >= restarted + recovery_s + 0.1]
    assert after, "no traffic after recovery"
    assert all(status == 200 for _, _, _, status, _ in after)


def test_paused_server_fails_requests_within_bound(cluster, roster, workspace):
    """A server that accepts connections but never replies (SIGSTOP): the client-side limits
    end each request, and after the first unanswered statement requests fail fast."""
    warm_pool(workspace)
    cluster.signal_all(signal.SIGSTOP)
    results = []
    try:
        paused = time.monotonic()
        # Long enough for an unanswered statement (6 s), a failed connection attempt (3 s)
        # and fast failures in between.
        while time.monotonic() - paused < 12.0:
            results.append(timed_get(workspace.url("/groups"), workspace.token.auth))
        healthz = timed_get(roster.url("/healthz"))
    finally:
        cluster.signal_all(signal.SIGCONT)

    durations = [finished - started for started, finished, _, _ in results]
    for started, finished, status, body in results:
        assert status == 503, body
        assert body["id"] == "service_unavailable"
    assert max(durations) < REQUEST_BOUND_S
    assert max(durations) > 3.0, "no request waited for the paused server"
    assert sum(1 for d in durations if d < REFUSED_BOUND_S) >= 3, durations
    assert healthz[2] == 503
    assert wait_for_ok(workspace.url("/groups"), workspace.token.auth) < RECOVERY_BOUND_S
    assert roster.process.poll() is None
