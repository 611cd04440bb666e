"""Group memberships: list, filters, add, get, delete, links, concurrency and managed groups."""

import json
import re
import sqlite3
import subprocess
import threading

import pytest
import requests

from conftest import PG_ADMIN_URL, ROSTER_BIN, unique

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TOKEN = re.compile(r"^[a-z0-9]{12}$")


def new_member(ws):
    return ws.add_user(unique("u"))


def add(ws, group_token, member_token):
    return ws.post(f"/groups/{group_token}/memberships",
                   {"membership": {"member_token": member_token}})


def added(ws, group_token, member_token):
    response = add(ws, group_token, member_token)
    assert response.status_code == 200, response.text
    return response.json()


def group_of(ws, group_token):
    response = ws.get(f"/groups/{group_token}")
    assert response.status_code == 200, response.text
    return response.json()


def listed(ws, group_token, query=""):
    response = ws.get(f"/groups/{group_token}/memberships{query}")
    assert response.status_code == 200, response.text
    return response.json()


def test_membership_fields_and_links(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    membership = added(ws, group["token"], user["token"])

    base = f"/api/{ws.slug}/groups/{group['token']}"
    assert TOKEN.match(membership["token"])
    assert membership["member_token"] == user["token"]
    assert membership["member_username"] == user["username"]
    assert TIMESTAMP.match(membership["created_at"])
    assert membership["_embedded"] == {}
    assert membership["_links"] == {
        "self": {"href": f"{base}/memberships/{membership['token']}", "templated": False},
        "member": {"href": f"/api/{user['username']}", "templated": False},
        "user_group": {"href": base, "templated": False},
        "creator": {"href": f"/api/{ws.slug}", "templated": False},
    }


def test_membership_creator_is_member_token_user(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    response = requests.post(ws.url(f"/groups/{group['token']}/memberships"),
                             json={"membership": {"member_token": user["token"]}},
                             auth=ws.admin_token.auth, timeout=30)
    assert response.status_code == 200, response.text
    creator = response.json()["_links"]["creator"]["href"]
    assert creator == f"/api/{ws.admin_name}"


def test_get_membership_matches_add(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    membership = added(ws, group["token"], new_member(ws)["token"])
    response = ws.get(f"/groups/{group['token']}/memberships/{membership['token']}")
    assert response.status_code == 200
    assert response.json() == membership


def test_list_oldest_first(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    tokens = [added(ws, group["token"], new_member(ws)["token"])["token"] for _ in range(4)]
    body = listed(ws, group["token"])
    assert body["_links"] == {"self": {
        "href": f"/api/{ws.slug}/groups/{group['token']}/memberships", "templated": False}}
    assert "pagination" not in body
    assert [m["token"] for m in body["_embedded"]["group_memberships"]] == tokens


def test_list_of_empty_group(workspace):
    group = workspace.create_group(unique("g"))
    assert listed(workspace, group["token"])["_embedded"] == {"group_memberships": []}


def test_list_pagination(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    tokens = [added(ws, group["token"], new_member(ws)["token"])["token"] for _ in range(7)]
    base = f"/api/{ws.slug}/groups/{group['token']}/memberships"

    first = listed(ws, group["token"], "?page=1&per_page=3")
    assert first["pagination"] == {"page": 1, "per_page": 3, "count": 3, "total_pages": 3,
                                   "total_count": 7}
    assert first["_links"]["next_page"]["href"] == f"{base}?page=2&per_page=3"
    assert "prev_page" not in first["_links"]

    pages = [first] + [listed(ws, group["token"], f"?page={n}&per_page=3") for n in (2, 3)]
    seen = [m["token"] for page in pages for m in page["_embedded"]["group_memberships"]]
    assert seen == tokens

    last = pages[2]
    assert last["pagination"]["count"] == 1
    assert "next_page" not in last["_links"]
    assert last["_links"]["prev_page"]["href"] == f"{base}?page=2&per_page=3"

    past = listed(ws, group["token"], "?page=9&per_page=3")
    assert past["_embedded"]["group_memberships"] == []
    assert past["pagination"]["total_count"] == 7
    assert "next_page" not in past["_links"]

    default = listed(ws, group["token"], "?page=1")
    assert default["pagination"]["per_page"] == 30
    assert default["pagination"]["count"] == 7


@pytest.mark.parametrize("query", ["?page=0", "?page=-1", "?page=abc", "?per_page=0",
                                   "?per_page=1001", "?per_page=x"])
def test_list_invalid_paging(workspace, query):
    group = workspace.create_group(unique("g"))
    response = workspace.get(f"/groups/{group['token']}/memberships{query}")
    assert response.status_code == 400
    assert response.json()["id"] == "bad_request"


def test_preview_newest_five(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    tokens = [added(ws, group["token"], new_member(ws)["token"])["token"] for _ in range(7)]
    body = listed(ws, group["token"], "?filter=preview")
    items = body["_embedded"]["group_memberships"]
    assert [m["token"] for m in items] == list(reversed(tokens))[:5]
    assert body["_links"]["self"]["href"] == (
        f"/api/{ws.slug}/groups/{group['token']}/memberships?filter=preview")


def test_preview_of_small_group(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    tokens = [added(ws, group["token"], new_member(ws)["token"])["token"] for _ in range(2)]
    items = listed(ws, group["token"], "?filter=preview")["_embedded"]["group_memberships"]
    assert [m["token"] for m in items] == list(reversed(tokens))


def test_preview_link_of_group_works(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    added(ws, group["token"], new_member(ws)["token"])
    href = group["_links"]["memberships_preview"]["href"]
    response = ws.session.get(ws.server.url(href), timeout=30)
    assert response.status_code == 200
    assert len(response.json()["_embedded"]["group_memberships"]) == 1


def test_by_user_id_token_and_username(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    other = new_member(ws)
    membership = added(ws, group["token"], user["token"])
    added(ws, group["token"], other["token"])

    for user_id in (user["token"], user["username"]):
        body = listed(ws, group["token"], f"?filter=by_user_id&user_id={user_id}")
        assert body["_embedded"]["group_memberships"] == [membership]


def test_by_user_id_without_membership(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    outsider = new_member(ws)
    added(ws, group["token"], new_member(ws)["token"])
    for user_id in (outsider["token"], outsider["username"], "nosuchuser0", "zzzzzzzzzzzz"):
        body = listed(ws, group["token"], f"?filter=by_user_id&user_id={user_id}")
        assert body["_embedded"]["group_memberships"] == []


def test_by_user_id_other_workspace_user(workspace, make_workspace):
    ws = workspace
    other_ws = make_workspace()
    stranger = other_ws.add_user(unique("s"))
    group = ws.create_group(unique("g"))
    body = listed(ws, group["token"], f"?filter=by_user_id&user_id={stranger['token']}")
    assert body["_embedded"]["group_memberships"] == []


def test_by_user_id_missing_user_id(workspace):
    group = workspace.create_group(unique("g"))
    response = workspace.get(f"/groups/{group['token']}/memberships?filter=by_user_id")
    assert response.status_code == 400
    assert response.json()["field"] == "user_id"


@pytest.mark.parametrize("value", ["newest", "", "PREVIEW"])
def test_unknown_filter_rejected(workspace, value):
    group = workspace.create_group(unique("g"))
    response = workspace.get(f"/groups/{group['token']}/memberships?filter={value}")
    assert response.status_code == 400
    body = response.json()
    assert body["id"] == "bad_request"
    assert body["field"] == "filter"


def test_add_is_idempotent(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    first = added(ws, group["token"], user["token"])
    second = added(ws, group["token"], user["token"])
    assert second == first
    assert group_of(ws, group["token"])["member_count"] == 1
    assert len(listed(ws, group["token"])["_embedded"]["group_memberships"]) == 1


def test_add_moves_group_updated_at_and_count(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    added(ws, group["token"], new_member(ws)["token"])
    added(ws, group["token"], new_member(ws)["token"])
    after = group_of(ws, group["token"])
    assert after["member_count"] == 2
    assert after["updated_at"] >= group["updated_at"]


def test_add_non_member_rejected(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    loner = ws.server.cli.user(unique("n"))
    response = add(ws, group["token"], loner["token"])
    assert response.status_code == 400
    body = response.json()
    assert body["id"] == "bad_request"
    assert body["field"] == "membership.member_token"
    assert group_of(ws, group["token"])["member_count"] == 0


def test_add_other_workspace_user_looks_unknown(workspace, make_workspace):
    ws = workspace
    other_ws = make_workspace()
    stranger = other_ws.add_user(unique("s"))
    group = ws.create_group(unique("g"))
    foreign = add(ws, group["token"], stranger["token"])
    unknown = add(ws, group["token"], "zzzzzzzzzzzz")
    assert foreign.status_code == 400
    assert foreign.content == unknown.content
    assert foreign.headers["Content-Type"] == unknown.headers["Content-Type"]


def test_add_workspace_token_rejected(workspace):
    """The workspace's own account token is not a member token."""
    group = workspace.create_group(unique("g"))
    response = add(workspace, group["token"], workspace.account["token"])
    assert response.status_code == 400
    assert response.json()["field"] == "membership.member_token"


def test_add_deactivated_member_rejected(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    assert ws.delete(f"/memberships/{user['username']}").status_code == 200
    response = add(ws, group["token"], user["token"])
    assert response.status_code == 400
    assert response.json()["field"] == "membership.member_token"


@pytest.mark.parametrize("body, field, error_id", [
    ({}, "membership", "param_missing"),
    ({"membership": None}, "membership", "param_missing"),
    ({"membership": {}}, "membership.member_token", "param_missing"),
    ({"membership": {"member_token": None}}, "membership.member_token", "param_missing"),
    ({"membership": {"member_token": 12}}, "membership.member_token", "bad_request"),
    ({"membership": "abc"}, "membership", "bad_request"),
])
def test_add_invalid_body(workspace, body, field, error_id):
    group = workspace.create_group(unique("g"))
    response = workspace.post(f"/groups/{group['token']}/memberships", body)
    assert response.status_code == 400
    assert response.json()["id"] == error_id
    assert response.json()["field"] == field


def test_add_to_deleted_group(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    assert ws.delete(f"/groups/{group['token']}").status_code == 200
    response = add(ws, group["token"], user["token"])
    assert response.status_code == 404
    assert response.json()["id"] == "not_found"


def test_add_to_unknown_group(workspace):
    response = add(workspace, "zzzzzzzzzzzz", new_member(workspace)["token"])
    assert response.status_code == 404


def test_delete_returns_membership_then_404(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    keep = added(ws, group["token"], new_member(ws)["token"])
    membership = added(ws, group["token"], new_member(ws)["token"])
    path = f"/groups/{group['token']}/memberships/{membership['token']}"

    response = ws.delete(path)
    assert response.status_code == 200
    assert response.json() == membership
    assert ws.get(path).status_code == 404
    assert ws.delete(path).status_code == 404
    assert group_of(ws, group["token"])["member_count"] == 1
    assert listed(ws, group["token"])["_embedded"]["group_memberships"] == [keep]


def test_readd_after_delete_gets_new_token(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    first = added(ws, group["token"], user["token"])
    ws.delete(f"/groups/{group['token']}/memberships/{first['token']}")
    second = added(ws, group["token"], user["token"])
    assert second["token"] != first["token"]
    assert group_of(ws, group["token"])["member_count"] == 1


def test_membership_of_other_group_is_404(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    other = ws.create_group(unique("g"))
    membership = added(ws, group["token"], new_member(ws)["token"])
    path = f"/groups/{other['token']}/memberships/{membership['token']}"
    assert ws.get(path).status_code == 404
    assert ws.delete(path).status_code == 404
    assert group_of(ws, group["token"])["member_count"] == 1


def test_deleted_group_memberships_are_404(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    membership = added(ws, group["token"], new_member(ws)["token"])
    ws.delete(f"/groups/{group['token']}")
    assert ws.get(f"/groups/{group['token']}/memberships").status_code == 404
    path = f"/groups/{group['token']}/memberships/{membership['token']}"
    assert ws.get(path).status_code == 404
    assert ws.delete(path).status_code == 404


def test_concurrent_identical_adds(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    barrier = threading.Barrier(10)
    results = []
    lock = threading.Lock()

    def worker():
        session = requests.Session()
        session.auth = ws.token.auth
        barrier.wait(timeout=30)
        response = session.post(ws.url(f"/groups/{group['token']}/memberships"),
                                json={"membership": {"member_token": user["token"]}},
                                timeout=60)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert len(results) == 10
    assert [r.status_code for r in results] == [200] * 10
    assert len({r.json()["token"] for r in results}) == 1
    assert group_of(ws, group["token"])["member_count"] == 1
    assert len(listed(ws, group["token"])["_embedded"]["group_memberships"]) == 1


def create_managed_group(ws, name):
    result = subprocess.run([ROSTER_BIN, "--db", ws.server.db, "group", "create", ws.slug, name,
                             "--managed"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_managed_group_rejects_changes(workspace):
    ws = workspace
    group = create_managed_group(ws, unique("m"))
    assert group["managed"] is True
    user = new_member(ws)

    response = add(ws, group["token"], user["token"])
    assert response.status_code == 403
    assert response.json()["id"] == "forbidden"
    assert group_of(ws, group["token"])["member_count"] == 0
    assert group_of(ws, group["token"])["managed"] is True


def test_managed_group_rejects_membership_delete(workspace):
    """A member of a group that became managed cannot be removed over the API.

    The CLI only creates managed groups empty, so this test marks a group that has a member as
    managed by editing the SQLite file, and is skipped on PostgreSQL."""
    if PG_ADMIN_URL:
        pytest.skip("edits the SQLite file directly")
    ws = workspace
    group = ws.create_group(unique("g"))
    membership = added(ws, group["token"], new_member(ws)["token"])
    connection = sqlite3.connect(ws.server.db, timeout=30)
    with connection:
        connection.execute("UPDATE user_groups SET managed = 1 WHERE token = ?",
                           (group["token"],))
    connection.close()

    path = f"/groups/{group['token']}/memberships/{membership['token']}"
    response = ws.delete(path)
    assert response.status_code == 403
    assert response.json()["id"] == "forbidden"
    assert ws.get(path).status_code == 200
    assert group_of(ws, group["token"])["member_count"] == 1
    assert group_of(ws, group["token"])["managed"] is True


def test_member_token_caller_lists_memberships(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    membership = added(ws, group["token"], new_member(ws)["token"])
    response = requests.get(ws.url(f"/groups/{group['token']}/memberships"),
                            auth=ws.admin_token.auth, timeout=30)
    assert response.status_code == 200
    assert response.json()["_embedded"]["group_memberships"] == [membership]


def test_non_admin_member_forbidden(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    token = ws.server.cli.user_token(user["username"])
    for method, body in (("GET", None), ("POST", {"membership": {"member_token": user["token"]}})):
        response = requests.request(method, ws.url(f"/groups/{group['token']}/memberships"),
                                    json=body, auth=token.auth, timeout=30)
        assert response.status_code == 403


def test_other_workspace_admin_gets_404(workspace, make_workspace):
    ws = workspace
    other = make_workspace()
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    membership = added(ws, group["token"], user["token"])
    base = f"/groups/{group['token']}/memberships"
    requests_to_try = [
        ("GET", base, None),
        ("GET", base + "?filter=preview", None),
        ("POST", base, {"membership": {"member_token": user["token"]}}),
        ("GET", f"{base}/{membership['token']}", None),
        ("DELETE", f"{base}/{membership['token']}", None),
    ]
    for credentials in (other.token, other.admin_token):
        for method, path, body in requests_to_try:
            response = requests.request(method, ws.url(path), json=body,
                                        auth=credentials.auth, timeout=30)
            assert response.status_code == 404, (method, path)
            assert response.json()["message"] == "Membership not found for Workspace"
    # Another workspace's own URLs do not reach this workspace's group either.
    for method, path, body in requests_to_try:
        response = requests.request(method, other.url(path), json=body,
                                    auth=other.token.auth, timeout=30)
        assert response.status_code == 404, (method, path)
        assert response.json()["message"] == "Group not found"
    assert ws.get(f"{base}/{membership['token']}").status_code == 200


def test_add_content_types(workspace):
    ws = workspace
    group = ws.create_group(unique("g"))
    user = new_member(ws)
    url = ws.url(f"/groups/{group['token']}/memberships")
    body = json.dumps({"membership": {"member_token": user["token"]}})

    response = requests.post(url, data=body, headers={"Content-Type": "text/plain"},
                             auth=ws.token.auth, timeout=30)
    assert response.status_code == 415
    assert response.json()["id"] == "unsupported_media_type"
    assert group_of(ws, group["token"])["member_count"] == 0

    response = requests.post(url, data=body, auth=ws.token.auth, timeout=30)
    assert response.status_code == 200, response.text
    response = requests.post(url, data=body.encode(), auth=ws.token.auth, timeout=30,
                             headers={"Content-Type": "application/hal+json; charset=utf-8"})
    assert response.status_code == 200, response.text
    assert group_of(ws, group["token"])["member_count"] == 1


def test_add_checks_group_before_body(workspace):
    ws = workspace
    deleted = ws.create_group(unique("g"))
    ws.delete(f"/groups/{deleted['token']}")
    managed = create_managed_group(ws, unique("m"))
    for body in ({}, {"membership": 5}, {"membership": {"member_token": "zzzzzzzzzzzz"}}):
        response = ws.post(f"/groups/{deleted['token']}/memberships", body)
        assert response.status_code == 404, body
        response = ws.post(f"/groups/{managed['token']}/memberships", body)
        assert response.status_code == 403, body
    response = ws.session.post(ws.url(f"/groups/{deleted['token']}/memberships"), data="{",
                               timeout=30)
    assert response.status_code == 404
    response = ws.session.post(ws.url("/groups/zzzzzzzzzzzz/memberships"), data="{", timeout=30)
    assert response.status_code == 404
    response = ws.post(f"/groups/{ws.create_group(unique('g'))['token']}/memberships", None)
    assert response.status_code == 400
    assert response.json()["id"] == "param_missing"
