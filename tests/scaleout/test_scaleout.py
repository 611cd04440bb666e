"""Two Roster instances on one PostgreSQL database behind HAProxy (round-robin).

Checks that uniqueness, membership and counts hold across instances, that a token revoked
with the command-line tool is rejected by every instance at once, and that instances starting
together on an empty database apply each migration once.
"""

import json
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness import (HAProxy, RosterServer, Workspace, ROSTER_BIN, create_database, psql,
                     unique)


@pytest.fixture(scope="module")
def cluster_setup(pg_admin_url, tmp_path_factory):
    """Returns (instance A, instance B, HAProxy, database name) sharing one database."""
    tmp = tmp_path_factory.mktemp("scaleout")
    name, url = create_database(pg_admin_url)
    started = []  # stopped in reverse order, also when a later start fails
    try:
        first = RosterServer(url, str(tmp / "roster-a.log"))
        started.append(first)
        second = RosterServer(url, str(tmp / "roster-b.log"))
        started.append(second)
        proxy = HAProxy([first.base_url, second.base_url], tmp)
        started.append(proxy)
        yield first, second, proxy, name
    finally:
        for process in reversed(started):
            process.stop()


@pytest.fixture(scope="module")
def instances(cluster_setup):
    first, second, _, _ = cluster_setup
    return first, second


@pytest.fixture(scope="module")
def proxy(cluster_setup):
    return cluster_setup[2]


@pytest.fixture(scope="module")
def workspace(instances):
    return Workspace(instances[0], unique("ws"))


def request_id_prefix(response):
    """Returns the per-process part of X-Request-Id, which differs between instances."""
    return response.headers["X-Request-Id"].rsplit("-", 1)[0]


def instance_prefixes(instances):
    return {request_id_prefix(requests.get(server.url("/healthz"), timeout=10))
            for server in instances}


def run_concurrently(count, send):
    """Calls send(i) for i in range(count) on `count` threads released together."""
    barrier = threading.Barrier(count)

    def task(i):
        barrier.wait(timeout=30)
        return send(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def get_json(base_url, path, auth):
    response = requests.get(base_url + path, auth=auth, timeout=30,
                            headers={"Accept": "application/hal+json"})
    assert response.status_code == 200, response.text
    return response.json()


def test_proxy_spreads_requests_over_both_instances(instances, proxy):
    prefixes = {request_id_prefix(requests.get(proxy.url("/healthz"), timeout=10))
                for _ in range(6)}
    assert len(instance_prefixes(instances)) == 2
    assert prefixes == instance_prefixes(instances)


def test_concurrent_creates_of_one_name_make_one_group(instances, proxy, workspace):
    name = unique("team")
    path = f"/api/{workspace.slug}/groups"

    def create(i):
        return requests.post(proxy.url(path), auth=workspace.token.auth, timeout=30,
                             json={"user_group": {"name": name if i % 2 else name.upper()}})

    responses = run_concurrently(20, create)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * 19, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["id"] == "conflict"
    served_by = {request_id_prefix(response) for response in responses}
    assert served_by == instance_prefixes(instances)

    for server in instances:
        groups = get_json(server.base_url, path, workspace.token.auth)["_embedded"]["groups"]
        matching = [group for group in groups if group["name"].lower() == name.lower()]
        assert len(matching) == 1


def test_concurrent_adds_of_one_member_make_one_membership(instances, proxy, workspace):
    group = workspace.create_group(unique("team"))
    user = workspace.add_user(unique("user"))
    path = f"/api/{workspace.slug}/groups/{group['token']}/memberships"

    def add(_):
        return requests.post(proxy.url(path), auth=workspace.token.auth, timeout=30,
                             json={"membership": {"member_token": user["token"]}})

    responses = run_concurrently(10, add)
    assert [response.status_code for response in responses] == [200] * 10, \
        [response.text for response in responses]
    assert len({response.json()["token"] for response in responses}) == 1
    served_by = {request_id_prefix(response) for response in responses}
    assert served_by == instance_prefixes(instances)

    for server in instances:
        listed = get_json(server.base_url, path, workspace.token.auth)
        assert len(listed["_embedded"]["group_memberships"]) == 1
        shown = get_json(server.base_url, f"/api/{workspace.slug}/groups/{group['token']}",
                         workspace.token.auth)
        assert shown["member_count"] == 1


def test_instances_agree_on_lists_and_counts(instances, proxy, workspace):
    auth = workspace.token.auth
    group = workspace.create_group(unique("team"))
    members = [workspace.add_user(unique("user")) for _ in range(3)]
    for member in members:
        response = requests.post(
            proxy.url(f"/api/{workspace.slug}/groups/{group['token']}/memberships"),
            auth=auth, json={"membership": {"member_token": member["token"]}}, timeout=30)
        assert response.status_code == 200, response.text

    views = [get_json(server.base_url, f"/api/{workspace.slug}/groups", auth)
             for server in instances]
    assert views[0] == views[1]
    counts = {g["token"]: g["member_count"] for g in views[0]["_embedded"]["groups"]}
    assert counts[group["token"]] == 3


def test_revoked_token_rejected_by_both_instances(instances, proxy, workspace):
    first = instances[0]
    credentials = first.cli.workspace_token(workspace.slug)
    path = f"/api/{workspace.slug}/groups"
    for server in instances:
        response = requests.get(server.url(path), auth=credentials.auth, timeout=10)
        assert response.status_code == 200, response.text

    first.cli.run("token", "revoke", credentials.token)

    # Roster caches no credentials, so the very next request on each instance sees the change.
    for server in instances:
        response = requests.get(server.url(path), auth=credentials.auth, timeout=10)
        assert response.status_code == 401
        assert response.json()["id"] == "unauthorized"
    for _ in range(4):
        response = requests.get(proxy.url(path), auth=credentials.auth, timeout=10)
        assert response.status_code == 401


def start_migrations_together(url, command):
    """Starts `roster --db URL <command>` twice at once; returns both finished processes."""
    barrier = threading.Barrier(2)

    def run(_):
        barrier.wait(timeout=30)
        return subprocess.run([ROSTER_BIN, "--db", url, *command], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run, range(2)))


@pytest.mark.parametrize("round_number", range(5))
def test_concurrent_migrate_on_empty_database_migrates_once(pg_admin_url, round_number):
    name, url = create_database(pg_admin_url)
    results = start_migrations_together(url, ["migrate"])
    for result in results:
        assert result.returncode == 0, result.stderr
    latest = json.loads(results[0].stdout)["schema_version"]
    for version in range(1, latest + 1):
        applied = sum(result.stderr.count(f"applied schema migration {version}:")
                      for result in results)
        assert applied == 1, f"migration {version} applied {applied} times"
    versions = psql(pg_admin_url,
                    "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations",
                    database=name)
    assert versions == ",".join(str(version) for version in range(1, latest + 1))


def test_two_servers_starting_on_empty_database_migrate_once(pg_admin_url, tmp_path):
    name, url = create_database(pg_admin_url)
    barrier = threading.Barrier(2)

    def start(i):
        barrier.wait(timeout=30)
        return RosterServer(url, str(tmp_path / f"roster-{i}.log"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(start, i) for i in range(2)]
    # Stops every server that started, also when the other one failed to.
    servers = [future.result() for future in futures if future.exception() is None]
    try:
        assert len(servers) == 2, [str(future.exception()) for future in futures]
        for server in servers:
            assert requests.get(server.url("/healthz"), timeout=10).status_code == 200
        logs = [server.log_text() for server in servers]
        latest = int(psql(pg_admin_url, "SELECT max(version) FROM schema_migrations",
                          database=name))
        for version in range(1, latest + 1):
            applied = sum(log.count(f"applied schema migration {version}:") for log in logs)
            assert applied == 1, f"migration {version} applied {applied} times"
    finally:
        for server in servers:
            server.stop()
    assert psql(pg_admin_url, "SELECT count(*) FROM schema_migrations",
                database=name) == str(latest)
