"""The Groups API end to end: list, create, get, update and delete, the group object, the error
bodies, the order of the checks, the name rules and concurrent creates."""

import base64
import json
import re
import socket
import sqlite3
import subprocess
import threading
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import Workspace, unique

ANY = object()  # an assert_error field value that accepts any field, or none
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
TOKEN = re.compile(r"^[a-z0-9]{12}$")
GROUP_KEYS = {"token", "group_type", "name", "description", "state", "member_count",
              "spaces_count", "data_sources_count", "managed", "created_at", "updated_at",
              "_links", "_embedded"}
BODY_LIMIT = 1024 * 1024


def assert_error(response, status, error_id, field=None):
    """Checks an error response: status, content type and the {id, message, field?} body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/hal+json"
    body = response.json()
    assert set(body) <= {"id", "message", "field"}, body
    assert body["id"] == error_id, body
    assert isinstance(body["message"], str) and body["message"], body
    if field is not ANY:
        assert body.get("field") == field, body
    return body


def caller(credentials):
    """Returns a session that authenticates with `credentials` and sends JSON."""
    session = requests.Session()
    session.auth = credentials.auth
    session.headers.update({"Accept": "application/hal+json",
                            "Content-Type": "application/json"})
    return session


def random_token():
    return uuid.uuid4().hex[:12]


def group_body(name, **fields):
    return {"user_group": {"name": name, **fields}}


def run_sql(server, sql):
    """Runs one statement on the server's database, for states the API cannot produce."""
    if server.db.startswith(("postgresql://", "postgres://")):
        subprocess.run(["psql", server.db, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       check=True, capture_output=True, timeout=30)
        return
    connection = sqlite3.connect(server.db, timeout=10)
    try:
        with connection:
            connection.execute(sql)
    finally:
        connection.close()


def listed(ws, query=""):
    response = ws.get("/groups" + query)
    assert response.status_code == 200, response.text
    return response.json()


def listed_names(ws, query=""):
    return [group["name"] for group in listed(ws, query)["_embedded"]["groups"]]


def parse_time(text):
    assert RFC3339.match(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the group object ---


def test_group_object_has_every_field_and_link(workspace):
    name = unique("Object ")
    created = workspace.create_group(name, description="Finance team")
    token = created["token"]
    ws = workspace.slug
    self_href = f"/api/{ws}/groups/{token}"

    assert set(created) == GROUP_KEYS
    assert TOKEN.match(token)
    assert created["group_type"] == "user_group"
    assert created["name"] == name
    assert created["description"] == "Finance team"
    assert created["state"] == "active"
    for count in ("member_count", "spaces_count", "data_sources_count"):
        assert type(created[count]) is int, count
        assert created[count] == 0, count
    assert created["managed"] is False
    assert created["_embedded"] == {}
    assert created["_links"] == {
        "self": {"href": self_href, "templated": False},
        "web": {"href": f"/organizations/{ws}/groups/{token}", "templated": False},
        "creator": {"href": f"/api/{ws}", "templated": False},
        "group_memberships": {"href": f"{self_href}/memberships", "templated": False},
        "membership_by_id": {"href": f"{self_href}/memberships/{{membership_token}}",
                             "templated": True},
        "memberships_preview": {"href": f"{self_href}/memberships?filter=preview",
                                "templated": False},
    }
    now = datetime.now(timezone.utc)
    created_at = parse_time(created["created_at"])
    assert abs(now - created_at) < timedelta(hours=1)
    assert created["updated_at"] == created["created_at"]

    fetched = workspace.get(f"/groups/{token}")
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "application/hal+json"
    assert fetched.json() == created


def test_creator_link_of_member_token(workspace):
    session = caller(workspace.admin_token)
    response = session.post(workspace.url("/groups"), json=group_body(unique("By user ")),
                            timeout=30)
    assert response.status_code == 200, response.text
    creator = response.json()["_links"]["creator"]
    assert creator == {"href": f"/api/{workspace.admin_name}", "templated": False}


def test_create_without_description(workspace):
    created = workspace.create_group(unique("No description "))
    assert created["description"] == ""


def test_create_ignores_unknown_fields(workspace):
    name = unique("Unknown fields ")
    body = {"user_group": {"name": name, "color": "red", "managed": True, "member_count": 9},
            "extra": [1, 2]}
    response = workspace.post("/groups", body)
    assert response.status_code == 200, response.text
    group = response.json()
    assert group["name"] == name
    assert "color" not in group
    assert group["managed"] is False
    assert group["member_count"] == 0


# --- list and pagination ---


def test_list_unpaged_returns_all(make_workspace):
    ws = make_workspace()
    names = [f"Group {i:02d}" for i in range(35)]
    for name in names:
        ws.create_group(name)

    body = listed(ws)
    assert set(body) == {"_links", "_embedded"}
    assert body["_links"] == {"self": {"href": f"/api/{ws.slug}/groups", "templated": False}}
    assert [g["name"] for g in body["_embedded"]["groups"]] == names
    assert all(set(g) == GROUP_KEYS for g in body["_embedded"]["groups"])

    # page alone keeps the default per_page of 30
    first = listed(ws, "?page=1")
    assert first["pagination"] == {"page": 1, "per_page": 30, "count": 30, "total_pages": 2,
                                   "total_count": 35}
    assert [g["name"] for g in first["_embedded"]["groups"]] == names[:30]
    assert first["_links"]["next_page"] == {
        "href": f"/api/{ws.slug}/groups?page=2&per_page=30", "templated": False}
    assert "prev_page" not in first["_links"]

    everything = listed(ws, "?per_page=1000")
    assert everything["pagination"] == {"page": 1, "per_page": 1000, "count": 35,
                                        "total_pages": 1, "total_count": 35}
    assert "next_page" not in everything["_links"]


def test_list_unpaged_streams_in_parts(make_workspace):
    # 1,000 groups fill ten parts of the stream exactly, so the eleventh read finds no rows and
    # only closes the JSON; after one delete the last part is a short one.
    ws = make_workspace()
    tokens = [ws.create_group(f"Streamed {i:04d}")["token"] for i in range(1000)]

    response = ws.get("/groups")
    assert response.status_code == 200
    assert response.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.headers
    assert [g["token"] for g in response.json()["_embedded"]["groups"]] == tokens

    assert ws.delete(f"/groups/{tokens[700]}").status_code == 200
    del tokens[700]
    streamed = [g["token"] for g in listed(ws)["_embedded"]["groups"]]
    assert streamed == tokens
    paged = [g["token"] for page in (1, 2)
             for g in listed(ws, f"?page={page}&per_page=500")["_embedded"]["groups"]]
    assert paged == tokens
    last = listed(ws, "?page=100&per_page=10")
    assert [g["token"] for g in last["_embedded"]["groups"]] == tokens[990:]


def test_list_streams_to_http10_without_chunks(make_workspace):
    ws = make_workspace()
    tokens = [ws.create_group(f"Old client {i:03d}")["token"] for i in range(150)]
    host, port = ws.server.base_url.removeprefix("http://").split(":")
    auth = base64.b64encode(f"{ws.token.token}:{ws.token.secret}".encode()).decode()
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(f"GET /api/{ws.slug}/groups HTTP/1.0\r\n"
                           f"Authorization: Basic {auth}\r\n\r\n".encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"transfer-encoding" not in head.lower()
    assert [g["token"] for g in json.loads(body)["_embedded"]["groups"]] == tokens


def test_filtered_empty_list_links_keep_filters(workspace):
    body = listed(workspace, "?member=no%20such%26user&page=2&per_page=5")
    base = f"/api/{workspace.slug}/groups?member=no%20such%26user"
    assert body["_links"]["self"]["href"] == base
    assert body["_links"]["prev_page"]["href"] == f"{base}&page=1&per_page=5"
    assert body["pagination"]["total_count"] == 0

    member = workspace.add_user(unique("filtered_"))
    body = listed(workspace, f"?member={member['username']}&data_source=nosuchsource&page=3")
    assert body["_links"]["self"]["href"] == (
        f"/api/{workspace.slug}/groups?member={member['username']}&data_source=nosuchsource")
    assert body["_links"]["prev_page"]["href"].endswith(
        "data_source=nosuchsource&page=1&per_page=30")


def test_list_ties_ordered_by_token(make_workspace, server):
    ws = make_workspace()
    tokens = [ws.create_group(f"Tie {i}")["token"] for i in range(5)]
    quoted = ", ".join(f"'{token}'" for token in tokens)
    run_sql(server, f"UPDATE user_groups SET created_at = 1700000000000000 "
                    f"WHERE token IN ({quoted})")

    listed_tokens = [g["token"] for g in listed(ws)["_embedded"]["groups"]]
    assert listed_tokens == sorted(tokens)
    paged = [g["token"] for page in (1, 2, 3)
             for g in listed(ws, f"?page={page}&per_page=2")["_embedded"]["groups"]]
    assert paged == sorted(tokens)


def test_list_pages_with_links(make_workspace):
    ws = make_workspace()
    names = [f"Paged {i}" for i in range(7)]
    for name in names:
        ws.create_group(name)
    base = f"/api/{ws.slug}/groups"

    def link(page):
        return {"href": f"{base}?page={page}&per_page=3", "templated": False}

    first = listed(ws, "?page=1&per_page=3")
    assert first["pagination"] == {"page": 1, "per_page": 3, "count": 3, "total_pages": 3,
                                   "total_count": 7}
    assert first["_links"]["self"] == {"href": base, "templated": False}
    assert first["_links"]["next_page"] == link(2)
    assert "prev_page" not in first["_links"]

    second = listed(ws, "?page=2&per_page=3")
    assert second["_links"]["next_page"] == link(3)
    assert second["_links"]["prev_page"] == link(1)

    last = listed(ws, "?page=3&per_page=3")
    assert last["pagination"]["count"] == 1
    assert "next_page" not in last["_links"]
    assert last["_links"]["prev_page"] == link(2)

    pages = [first, second, last]
    assert [g["name"] for p in pages for g in p["_embedded"]["groups"]] == names

    past_end = listed(ws, "?page=4&per_page=3")
    assert past_end["_embedded"]["groups"] == []
    assert past_end["pagination"]["count"] == 0
    assert past_end["pagination"]["total_count"] == 7
    assert "next_page" not in past_end["_links"]

    far_past_end = listed(ws, "?page=999999&per_page=1000")
    assert far_past_end["_embedded"]["groups"] == []
    assert "next_page" not in far_past_end["_links"]


def test_list_full_last_page(make_workspace):
    ws = make_workspace()
    for i in range(4):
        ws.create_group(f"Even {i}")
    second = listed(ws, "?page=2&per_page=2")
    assert second["pagination"] == {"page": 2, "per_page": 2, "count": 2, "total_pages": 2,
                                    "total_count": 4}
    assert "next_page" not in second["_links"]

    only_per_page = listed(ws, "?per_page=1")
    assert only_per_page["pagination"]["page"] == 1
    assert only_per_page["pagination"]["count"] == 1
    assert only_per_page["_links"]["next_page"]["href"] == (
        f"/api/{ws.slug}/groups?page=2&per_page=1")


def test_list_of_empty_workspace_paged(make_workspace):
    ws = make_workspace()
    body = listed(ws, "?page=1")
    assert body["_embedded"] == {"groups": []}
    assert body["pagination"] == {"page": 1, "per_page": 30, "count": 0, "total_pages": 0,
                                  "total_count": 0}
    assert "next_page" not in body["_links"]
    assert "prev_page" not in body["_links"]


@pytest.mark.parametrize("query", [
    "?per_page=0", "?per_page=-1", "?per_page=abc", "?per_page=1001", "?per_page=",
    "?per_page=1.5", "?per_page=99999999999999999999999", "?page=0", "?page=-1", "?page=abc",
    "?page=", "?page=1e3", "?page=2&per_page=0",
])
def test_list_rejects_invalid_paging(workspace, query):
    assert_error(workspace.get("/groups" + query), 400, "bad_request", ANY)


def test_list_rejects_data_source_filter_alone(workspace):
    assert_error(workspace.get(f"/groups?data_source={random_token()}"), 400, "bad_request", ANY)


# --- update ---


def test_patch_changes_name_description_or_both(workspace):
    group = workspace.create_group(unique("Patch "), description="before")
    path = f"/groups/{group['token']}"

    new_name = unique("Renamed ")
    renamed = workspace.patch(path, {"user_group": {"name": new_name}})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == new_name
    assert renamed.json()["description"] == "before"
    assert set(renamed.json()) == GROUP_KEYS

    described = workspace.patch(path, {"user_group": {"description": "after"}})
    assert described.status_code == 200, described.text
    assert described.json()["name"] == new_name
    assert described.json()["description"] == "after"

    both_name = unique("Both ")
    both = workspace.patch(path, {"user_group": {"name": both_name, "description": ""}})
    assert both.status_code == 200, both.text
    assert both.json()["name"] == both_name
    assert both.json()["description"] == ""

    fetched = workspace.get(path).json()
    assert fetched == both.json()
    assert fetched["created_at"] == group["created_at"]
    assert fetched["token"] == group["token"]


@pytest.mark.parametrize("body", [
    {"user_group": {}},
    {"user_group": {"name": None}},
    {"user_group": {"color": "red"}},
    {"user_group": {"name": None, "description": None}},
])
def test_patch_without_known_field(workspace, body):
    group = workspace.create_group(unique("Neither "))
    response = workspace.patch(f"/groups/{group['token']}", body)
    assert_error(response, 400, "param_missing", ANY)
    assert workspace.get(f"/groups/{group['token']}").json() == group


def test_patch_to_case_variant_of_own_name(workspace):
    base = unique("team ")
    group = workspace.create_group(base)
    response = workspace.patch(f"/groups/{group['token']}",
                               {"user_group": {"name": base.upper()}})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == base.upper()
    assert workspace.get(f"/groups/{group['token']}").json()["name"] == base.upper()


def test_patch_noop_keeps_updated_at(workspace, server):
    name = unique("Café ")
    group = workspace.create_group(name, description="same")
    token = group["token"]
    # An old updated_at makes any change visible at the API's one-second resolution.
    run_sql(server, f"UPDATE user_groups SET updated_at = 1600000000000000 WHERE token = '{token}'")
    old = "2020-09-13T12:26:40Z"
    assert workspace.get(f"/groups/{token}").json()["updated_at"] == old

    nfd_name = name.replace("é", "e\u0301")
    for body in ({"name": name}, {"name": f"  {nfd_name}\u3000"}, {"description": "same"},
                 {"name": name, "description": "same"}):
        response = workspace.patch(f"/groups/{token}", {"user_group": body})
        assert response.status_code == 200, response.text
        assert response.json()["updated_at"] == old, body
        assert response.json()["name"] == name

    changed = workspace.patch(f"/groups/{token}", {"user_group": {"description": "changed"}})
    assert changed.status_code == 200
    assert parse_time(changed.json()["updated_at"]) > parse_time(old)
    assert changed.json()["created_at"] == group["created_at"]


def test_patch_to_taken_name_conflicts(workspace):
    taken = workspace.create_group(unique("Taken "))
    other = workspace.create_group(unique("Other "))
    for name in (taken["name"], taken["name"].upper(), f" {taken['name'].lower()} "):
        response = workspace.patch(f"/groups/{other['token']}", {"user_group": {"name": name}})
        assert_error(response, 409, "conflict", "user_group.name")
    assert workspace.get(f"/groups/{other['token']}").json()["name"] == other["name"]


# --- delete ---


def add_counts(ws, group_token):
    """Gives a group one member, one space permission and one data source permission."""
    member = ws.add_user(unique("member_"))
    response = ws.post(f"/groups/{group_token}/memberships",
                       {"membership": {"member_token": member["token"]}})
    assert response.status_code == 200, response.text
    membership = response.json()

    space = ws.post("/spaces", {"space": {"name": unique("Space ")}})
    assert space.status_code == 200, space.text
    grant = {"permission": {"action": "view", "accessor_type": "UserGroup",
                            "accessor_token": group_token}}
    space_token = space.json()["token"]
    response = ws.post(f"/spaces/{space_token}/permissions", grant)
    assert response.status_code == 200, response.text

    source = ws.server.cli.json("data-source", "add", ws.slug, unique("Warehouse "))
    response = ws.post(f"/data_sources/{source['token']}/permissions", grant)
    assert response.status_code == 200, response.text
    return member, membership, space_token, source["token"]


def test_delete_returns_soft_deleted_group(workspace):
    group = workspace.create_group(unique("Deleted "), description="gone soon")
    member, membership, _, _ = add_counts(workspace, group["token"])
    before = workspace.get(f"/groups/{group['token']}").json()
    assert (before["member_count"], before["spaces_count"], before["data_sources_count"]) == (
        1, 1, 1)

    response = workspace.delete(f"/groups/{group['token']}")
    assert response.status_code == 200, response.text
    deleted = response.json()
    assert deleted["state"] == "soft_deleted"
    assert {**deleted, "state": "active"} == before

    tokens = [g["token"] for g in listed(workspace)["_embedded"]["groups"]]
    assert group["token"] not in tokens
    member_groups = listed(workspace, f"?member={member['username']}")["_embedded"]["groups"]
    assert member_groups == []


def test_deleted_group_is_not_found_everywhere(workspace):
    group = workspace.create_group(unique("Vanishing "))
    _, membership, space_token, source_token = add_counts(workspace, group["token"])
    assert workspace.delete(f"/groups/{group['token']}").status_code == 200
    never = random_token()
    member = workspace.add_user(unique("late_"))

    def requests_for(token):
        path = f"/groups/{token}"
        membership_body = {"membership": {"member_token": member["token"]}}
        grant = {"permission": {"action": "view", "accessor_type": "UserGroup",
                                "accessor_token": token}}
        return [
            ("GET", path, None),
            ("PATCH", path, {"user_group": {"name": unique("Again ")}}),
            ("DELETE", path, None),
            ("GET", f"{path}/memberships", None),
            ("GET", f"{path}/memberships?filter=preview", None),
            ("POST", f"{path}/memberships", membership_body),
            ("GET", f"{path}/memberships/{membership['token']}", None),
            ("DELETE", f"{path}/memberships/{membership['token']}", None),
            ("POST", f"/spaces/{space_token}/permissions", grant),
            ("POST", f"/data_sources/{source_token}/permissions", grant),
        ]

    for (method, path, body), (_, never_path, never_body) in zip(
            requests_for(group["token"]), requests_for(never)):
        deleted = workspace.session.request(method, workspace.url(path), json=body, timeout=30)
        unknown = workspace.session.request(method, workspace.url(never_path), json=never_body,
                                            timeout=30)
        assert deleted.status_code == unknown.status_code, (method, path)
        assert deleted.content == unknown.content, (method, path)
        if "/permissions" not in path:
            assert_error(deleted, 404, "not_found")

    space_permissions = workspace.get(f"/spaces/{space_token}/permissions").json()
    assert space_permissions["_embedded"]["space_permissions"] == []
    source_permissions = workspace.get(f"/data_sources/{source_token}/permissions").json()
    assert source_permissions["_embedded"]["data_source_entitlements"] == []


def test_deleted_name_is_reusable(workspace):
    name = unique("Reused ")
    group = workspace.create_group(name)
    add_counts(workspace, group["token"])
    assert workspace.delete(f"/groups/{group['token']}").status_code == 200

    again = workspace.create_group(name.upper())
    assert again["token"] != group["token"]
    assert (again["member_count"], again["spaces_count"], again["data_sources_count"]) == (
        0, 0, 0)
    assert again["state"] == "active"
    listed_again = [g for g in listed(workspace)["_embedded"]["groups"]
                    if g["token"] == again["token"]]
    assert listed_again == [again]

    renamed = workspace.create_group(unique("Renamer "))
    assert workspace.delete(f"/groups/{again['token']}").status_code == 200
    response = workspace.patch(f"/groups/{renamed['token']}", {"user_group": {"name": name}})
    assert response.status_code == 200, response.text


# --- error bodies ---


def test_unauthenticated_gets_401_challenge(workspace):
    response = requests.get(workspace.url("/groups"), timeout=30)
    body = assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Roster"'
    assert set(body) == {"id", "message"}


def test_unknown_workspace_and_group_get_404(workspace, server):
    response = workspace.session.get(server.url(f"/api/{unique('nows')}/groups"), timeout=30)
    body = assert_error(response, 404, "not_found")
    assert body["message"] == "Membership not found for Workspace"

    for method in ("GET", "PATCH", "DELETE"):
        response = workspace.session.request(method, workspace.url(f"/groups/{random_token()}"),
                                             json={"user_group": {"name": "x"}}, timeout=30)
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize("body, error_id, field", [
    ({}, "param_missing", "user_group"),
    ({"user_group": None}, "param_missing", "user_group"),
    ({"user_group": {}}, "param_missing", "user_group.name"),
    ({"user_group": {"name": None}}, "param_missing", "user_group.name"),
    ({"user_group": {"description": "only"}}, "param_missing", "user_group.name"),
    ({"user_group": "x"}, "bad_request", "user_group"),
    ({"user_group": ["x"]}, "bad_request", "user_group"),
    ({"user_group": 5}, "bad_request", "user_group"),
    ({"user_group": {"name": 5}}, "bad_request", "user_group.name"),
    ({"user_group": {"name": True}}, "bad_request", "user_group.name"),
    ({"user_group": {"name": ["a"]}}, "bad_request", "user_group.name"),
    ({"user_group": {"name": {"a": 1}}}, "bad_request", "user_group.name"),
    ({"user_group": {"name": "ok", "description": 5}}, "bad_request", "user_group.description"),
    ({"user_group": {"name": "ok", "description": ["d"]}}, "bad_request",
     "user_group.description"),
    ({"user_group": {"name": ""}}, "bad_request", "user_group.name"),
    ({"user_group": {"name": " \t\n\u3000"}}, "bad_request", "user_group.name"),
])
def test_create_rejects_invalid_body(workspace, body, error_id, field):
    assert_error(workspace.post("/groups", body), 400, error_id, field)


@pytest.mark.parametrize("body, field", [
    ({"user_group": "x"}, "user_group"),
    ({"user_group": {"name": 5}}, "user_group.name"),
    ({"user_group": {"description": 5}}, "user_group.description"),
    ({"user_group": {"name": "   "}}, "user_group.name"),
    ({"user_group": {"description": "bell\u0007"}}, "user_group.description"),
])
def test_patch_rejects_invalid_body(workspace, body, field):
    group = workspace.create_group(unique("Bad patch "))
    assert_error(workspace.patch(f"/groups/{group['token']}", body), 400, "bad_request", field)
    assert workspace.get(f"/groups/{group['token']}").json() == group


def test_patch_with_null_wrapper_is_param_missing(workspace):
    group = workspace.create_group(unique("Null wrapper "))
    response = workspace.patch(f"/groups/{group['token']}", {"user_group": None})
    assert_error(response, 400, "param_missing", "user_group")


def post_raw(ws, data, headers=None, path="/groups", method="POST"):
    session = requests.Session()
    session.auth = ws.token.auth
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return session.request(method, ws.url(path), data=data, headers=all_headers, timeout=60)


@pytest.mark.parametrize("data, error_id", [
    (b"", "param_missing"),
    (b"  \r\n\t ", "param_missing"),
    (b'{"user_group": {"name": "x"}', "bad_request"),
    (b"{'user_group': {}}", "bad_request"),
    (b'{"user_group": {"name": "x"}} trailing', "bad_request"),
    (b'[{"user_group": {"name": "x"}}]', "bad_request"),
    (b'"user_group"', "bad_request"),
    (b"null", "bad_request"),
    (b"42", "bad_request"),
    (b'{"user_group": {"name": "a\\ud800b"}}', "bad_request"),
    (b'{"user_group": {"name": "a\\udc00b"}}', "bad_request"),
    (b'{"user_group": {"name": "a\xffb"}}', "bad_request"),
    (b'{"user_group": {"name": "a\xc3"}}', "bad_request"),
    (b'{"user_group": {"name": "ok", "description": "\\udfff"}}', "bad_request"),
    (b'{"user_group": {"name": 1e999}}', "bad_request"),
    (b"[" * 100000, "bad_request"),
    (b'{"user_group": ' * 10000, "bad_request"),
])
def test_create_rejects_malformed_json(workspace, data, error_id):
    assert_error(post_raw(workspace, data), 400, error_id, ANY)


def test_create_accepts_surrogate_pair_escape(workspace):
    suffix = unique()
    data = json.dumps({"user_group": {"name": "x"}}).replace(
        '"x"', f'"Smile \\ud83d\\ude00 {suffix}"').encode()
    response = post_raw(workspace, data)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == f"Smile \U0001F600 {suffix}"


def test_create_rejects_non_json_content_type(workspace):
    data = json.dumps(group_body(unique("Plain "))).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "application/jsonx"):
        response = post_raw(workspace, data, {"Content-Type": content_type})
        assert_error(response, 415, "unsupported_media_type")
    assert listed_names(workspace).count(json.loads(data)["user_group"]["name"]) == 0


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
    "application/hal+json", "application/hal+json; charset=utf-8", "Application/JSON",
    None,
])
def test_create_accepts_json_content_types(workspace, content_type):
    name = unique("Typed ")
    session = requests.Session()
    session.auth = workspace.token.auth
    # A None header value makes requests leave the header out.
    headers = {"Content-Type": content_type}
    response = session.post(workspace.url("/groups"), data=json.dumps(group_body(name)).encode(),
                            headers=headers, timeout=30)
    if content_type is None:
        assert "Content-Type" not in response.request.headers
    assert response.status_code == 200, response.text
    assert response.json()["name"] == name


def test_create_accepts_chunked_body(workspace):
    name = unique("Chunked ")
    data = json.dumps(group_body(name, description="sent in pieces")).encode()

    def pieces():
        for start in range(0, len(data), 7):
            yield data[start:start + 7]

    response = post_raw(workspace, pieces())
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 200, response.text
    assert response.json()["name"] == name
    assert response.json()["description"] == "sent in pieces"


def padded_body(size, description_length):
    """Returns a group body of exactly `size` bytes, padded with trailing white space."""
    body = json.dumps(group_body(unique("Big "), description="d" * description_length)).encode()
    assert len(body) <= size
    return body + b" " * (size - len(body))


def test_body_size_limit_boundary(workspace):
    at_limit = post_raw(workspace, padded_body(BODY_LIMIT, 4001))
    assert_error(at_limit, 400, "bad_request", "user_group.description")

    over_limit = post_raw(workspace, padded_body(BODY_LIMIT + 1, 10))
    assert_error(over_limit, 413, "payload_too_large")

    def pieces(data):
        for start in range(0, len(data), 64 * 1024):
            yield data[start:start + 64 * 1024]

    chunked = post_raw(workspace, pieces(padded_body(2 * BODY_LIMIT, 10)))
    assert_error(chunked, 413, "payload_too_large")

    assert workspace.get("/groups").status_code == 200


def test_admin_member_token_gets_413(workspace):
    session = caller(workspace.admin_token)
    response = session.post(workspace.url("/groups"), data=padded_body(BODY_LIMIT + 100, 10),
                            timeout=60)
    assert_error(response, 413, "payload_too_large")


# --- check order: each request fails two checks and gets the earlier one ---


@pytest.fixture(scope="module")
def order_setup(server):
    """A Business workspace A with a group and a non-admin member, a free workspace F with an
    admin and a non-admin, and a workspace B whose admin is a member of neither."""
    a = Workspace(server, unique("wsa"))
    free = Workspace(server, unique("wsf"), plan="free")
    b = Workspace(server, unique("wsb"))
    group = a.create_group(unique("Ordered "))
    plain_name = unique("plain_")
    a.add_user(plain_name)
    plain = server.cli.user_token(plain_name)
    free_plain_name = unique("freeplain_")
    free.add_user(free_plain_name)
    free_plain = server.cli.user_token(free_plain_name)
    return {"a": a, "free": free, "b": b, "group": group, "plain": plain,
            "free_plain": free_plain}


def test_order_401_before_404_and_body(order_setup, server):
    a = order_setup["a"]
    bogus = ("abcdefghijkl", "not-the-secret")
    for url in (server.url(f"/api/{unique('nows')}/groups"), a.url("/groups")):
        response = requests.post(url, data=b"{not json", auth=bogus,
                                 headers={"Content-Type": "text/plain"}, timeout=30)
        assert_error(response, 401, "unauthorized")
    response = requests.get(server.url(f"/api/{unique('nows')}/groups/{random_token()}"),
                            timeout=30)
    assert_error(response, 401, "unauthorized")


def test_order_large_body_gets_401(order_setup):
    a = order_setup["a"]
    data = padded_body(2 * BODY_LIMIT, 10)
    response = requests.post(a.url("/groups"), data=data,
                             headers={"Content-Type": "application/json"}, timeout=60)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Roster"'


def test_order_chunked_large_body_gets_401(order_setup):
    data = padded_body(2 * BODY_LIMIT, 10)

    def pieces():
        for start in range(0, len(data), 64 * 1024):
            yield data[start:start + 64 * 1024]

    response = requests.post(order_setup["a"].url("/groups"), data=pieces(),
                             headers={"Content-Type": "application/json"}, timeout=60)
    assert_error(response, 401, "unauthorized")


def test_order_404_membership_before_403(order_setup, server):
    b, free = order_setup["b"], order_setup["free"]
    unknown = b.session.get(server.url(f"/api/{unique('nows')}/groups"), timeout=30)
    assert_error(unknown, 404, "not_found")
    # B's tokens are not members of the free workspace: 404, not the plan's 403.
    for credentials in (b.token, b.admin_token):
        response = caller(credentials).get(free.url("/groups"), timeout=30)
        assert_error(response, 404, "not_found")
        assert response.content == unknown.content


def test_order_plan_403_before_admin_403(order_setup):
    a, free = order_setup["a"], order_setup["free"]
    plan = caller(free.admin_token).get(free.url("/groups"), timeout=30)
    assert_error(plan, 403, "forbidden")
    not_admin = caller(order_setup["plain"]).get(a.url("/groups"), timeout=30)
    assert_error(not_admin, 403, "forbidden")
    assert plan.json()["message"] != not_admin.json()["message"]

    both = caller(order_setup["free_plain"]).get(free.url("/groups"), timeout=30)
    assert_error(both, 403, "forbidden")
    assert both.json()["message"] == plan.json()["message"]


def test_order_403_before_404_object_and_body(order_setup):
    a, free = order_setup["a"], order_setup["free"]
    plain = caller(order_setup["plain"])
    free_admin = caller(free.admin_token)
    cases = [
        (plain, "GET", a.url(f"/groups/{random_token()}"), None, None),
        (plain, "PATCH", a.url(f"/groups/{order_setup['group']['token']}"), b"{bad", None),
        (plain, "POST", a.url("/groups"), b"[]", None),
        (plain, "POST", a.url("/groups"), b"{}", "text/plain"),
        (plain, "POST", a.url("/groups"), padded_body(BODY_LIMIT + 1, 10), None),
        (free_admin, "DELETE", free.url(f"/groups/{random_token()}"), None, None),
        (free_admin, "POST", free.url("/groups"), b"{bad", None),
    ]
    for session, method, url, data, content_type in cases:
        headers = {"Content-Type": content_type} if content_type else {}
        response = session.request(method, url, data=data, headers=headers, timeout=60)
        assert_error(response, 403, "forbidden")
    assert a.get(f"/groups/{order_setup['group']['token']}").json() == order_setup["group"]


def test_order_404_object_before_body(order_setup):
    a = order_setup["a"]
    url = a.url(f"/groups/{random_token()}")
    for data, content_type in ((b"{bad", None), (b"[]", None), (b"", None),
                               (b'{"user_group": {"name": 5}}', None), (b"x", "text/plain"),
                               (padded_body(BODY_LIMIT + 1, 10), None)):
        headers = {"Content-Type": content_type or "application/json"}
        response = a.session.patch(url, data=data, headers=headers, timeout=60)
        assert_error(response, 404, "not_found")


# --- tenant isolation ---


def test_other_workspace_gets_unknown_404(order_setup, server):
    a, b = order_setup["a"], order_setup["b"]
    group = order_setup["group"]
    nows = unique("nows")
    for credentials in (b.token, b.admin_token):
        session = caller(credentials)
        pairs = [
            ("GET", "/groups", None),
            ("POST", "/groups", group_body(unique("Intruder "))),
            ("GET", f"/groups/{group['token']}", None),
            ("PATCH", f"/groups/{group['token']}", group_body("Hijacked")),
            ("DELETE", f"/groups/{group['token']}", None),
            ("GET", f"/groups/{group['token']}/memberships", None),
        ]
        for method, path, body in pairs:
            foreign = session.request(method, a.url(path), json=body, timeout=30)
            unknown = session.request(method, server.url(f"/api/{nows}{path}"), json=body,
                                      timeout=30)
            assert_error(foreign, 404, "not_found")
            assert foreign.content == unknown.content, (method, path)

        # A's group token under B's own path is just an unknown group.
        own = session.get(b.url(f"/groups/{group['token']}"), timeout=30)
        never = session.get(b.url(f"/groups/{random_token()}"), timeout=30)
        assert_error(own, 404, "not_found")
        assert own.content == never.content
        deleting = session.delete(b.url(f"/groups/{group['token']}"), timeout=30)
        assert_error(deleting, 404, "not_found")

    assert a.get(f"/groups/{group['token']}").json() == group


# --- name and description rules ---


@pytest.mark.parametrize("padding", [" ", "\u3000", "\u00a0", "\t\n", "\u2003\u2028", "\u205f"])
def test_name_white_space_trimmed(workspace, padding):
    name = unique("Trim ")
    group = workspace.create_group(f"{padding}{name}{padding}")
    assert group["name"] == name
    assert_error(workspace.post("/groups", group_body(f"{name}{padding}")), 409, "conflict",
                 "user_group.name")


def test_name_inner_white_space_is_kept(workspace):
    name = unique("Inner\u3000 space ")
    assert workspace.create_group(name)["name"] == name


def test_name_length_in_nfc_code_points(make_workspace):
    ws = make_workspace()
    for name in ("a" * 255, "\u00fc" * 255, "\U0001D11E" * 255, "e\u0301" * 255,
                 "   " + "b" * 255 + "\u3000"):
        response = ws.post("/groups", group_body(name))
        assert response.status_code == 200, (name[:3], response.text)
        assert len(response.json()["name"]) == 255

    for name in ("c" * 256, "é" * 256, "\U0001D11E" * 256, "e\u0301" * 256):
        assert_error(ws.post("/groups", group_body(name)), 400, "bad_request", "user_group.name")


def test_name_nfd_collides_with_nfc(make_workspace):
    ws = make_workspace()
    first = ws.post("/groups", group_body("e\u0301" * 255))
    assert first.status_code == 200
    assert first.json()["name"] == "\u00e9" * 255
    assert_error(ws.post("/groups", group_body("\u00e9" * 255)), 409, "conflict",
                 "user_group.name")


@pytest.mark.parametrize("character", [
    "\u0000", "\u0001", "\u0007", "\u001b", "\u007f", "\u0085", "\u009f", "\t", "\n", "\r",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
])
def test_name_rejects_control_and_bidi(workspace, character):
    name = unique("Bad") + character + "name"
    assert_error(workspace.post("/groups", group_body(name)), 400, "bad_request",
                 "user_group.name")
    assert name not in listed_names(workspace)


def test_name_is_stored_in_nfc(workspace):
    suffix = unique()
    group = workspace.create_group(f"Cafe\u0301 {suffix}")
    assert group["name"] == f"Caf\u00e9 {suffix}"
    assert workspace.get(f"/groups/{group['token']}").json()["name"] == f"Caf\u00e9 {suffix}"
    assert f"Caf\u00e9 {suffix}" in listed_names(workspace)


@pytest.mark.parametrize("first, variants", [
    ("Caf\u00e9", ["CAFE\u0301", "caf\u00e9", "CAF\u00c9", "Cafe\u0301", " caf\u00e9 "]),
    ("Stra\u00dfe", ["STRASSE", "strasse", "Strasse", "STRA\u1e9eE"]),
    ("\ufb01le \ufb00", ["FILE FF", "file ff", "fiLE fF"]),
    ("\u03a3\u03bf\u03c6\u03af\u03b1", ["\u03c3\u03bf\u03c6\u03af\u03b1", "\u03a3\u039f\u03a6\u038a\u0391"]),
])
def test_name_uniqueness_folds_case(make_workspace, first, variants):
    ws = make_workspace()
    ws.create_group(first)
    for variant in variants:
        assert_error(ws.post("/groups", group_body(variant)), 409, "conflict", "user_group.name")
    assert listed_names(ws) == [first]

    # Each workspace has its own names.
    other = make_workspace()
    assert other.create_group(variants[0])["name"] == unicodedata.normalize("NFC", variants[0])


def test_description_limits(workspace):
    text = "Line one\n\tindented\r\nend " + "\u00e9" * 10
    group = workspace.create_group(unique("Described "), description=text)
    assert group["description"] == text

    long_text = "\U0001F600" * 4000
    group = workspace.create_group(unique("Long "), description=long_text)
    assert group["description"] == long_text

    for bad in ("x" * 4001, "\U0001F600" * 4001, "bell\u0007", "nul\u0000", "esc\u001b"):
        response = workspace.post("/groups", group_body(unique("Too long "), description=bad))
        assert_error(response, 400, "bad_request", "user_group.description")


# --- concurrent creates ---


def create_concurrently(ws, names):
    """POSTs one create per name, each from its own thread and connection, released at once."""
    barrier = threading.Barrier(len(names))
    responses = [None] * len(names)

    def worker(index):
        session = requests.Session()
        session.auth = ws.token.auth
        session.get(ws.server.url("/healthz"), timeout=30)  # opens the connection first
        barrier.wait(timeout=30)
        responses[index] = session.post(ws.url("/groups"), json=group_body(names[index]),
                                        timeout=60)
        session.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(names))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(not thread.is_alive() for thread in threads)
    return responses


def test_concurrent_creates_one_group(make_workspace):
    ws = make_workspace()
    name = unique("Race ")
    responses = create_concurrently(ws, [name] * 20)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "conflict", "user_group.name")
    assert listed_names(ws) == [name]


def test_concurrent_variant_creates_one_group(make_workspace):
    ws = make_workspace()
    suffix = unique()
    spellings = ["Caf\u00e9", "CAF\u00c9", "caf\u00e9", "Cafe\u0301", "CAFE\u0301",
                 "cafe\u0301", "cAf\u00e9", "CaF\u00e9", "cAFE\u0301", "caF\u00c9"]
    # The second ten add surrounding white space, which is trimmed before comparing.
    names = [f"{spelling} {suffix}" for spelling in spellings]
    names += [f"\u3000{spelling} {suffix}\u00a0" for spelling in spellings]
    responses = create_concurrently(ws, names)
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert sum(r.status_code == 409 for r in responses) == 19
    stored = listed_names(ws)
    assert stored == [winners[0].json()["name"]]
    assert stored[0].casefold().endswith(f"caf\u00e9 {suffix}".casefold())


def test_concurrent_renames_one_winner(make_workspace):
    ws = make_workspace()
    tokens = [ws.create_group(f"Before {i}")["token"] for i in range(10)]
    target = unique("Renamed ")
    barrier = threading.Barrier(len(tokens))
    responses = [None] * len(tokens)

    def worker(index):
        session = requests.Session()
        session.auth = ws.token.auth
        session.get(ws.server.url("/healthz"), timeout=30)
        barrier.wait(timeout=30)
        responses[index] = session.patch(ws.url(f"/groups/{tokens[index]}"),
                                         json=group_body(target), timeout=60)
        session.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 9
    assert listed_names(ws).count(target) == 1


# --- managed groups ---


def test_managed_group_is_read_only(workspace, server):
    name = unique("Okta ")
    printed = server.cli.json("group", "create", workspace.slug, name, "--managed")
    token = printed["token"]
    assert printed["managed"] is True

    fetched = workspace.get(f"/groups/{token}")
    assert fetched.status_code == 200
    group = fetched.json()
    assert group["managed"] is True
    assert group["name"] == name
    assert group["_links"]["creator"]["href"] == f"/api/{workspace.slug}"
    assert token in [g["token"] for g in listed(workspace)["_embedded"]["groups"]]

    member = workspace.add_user(unique("scim_"))
    attempts = [
        ("PATCH", f"/groups/{token}", group_body(unique("Renamed "))),
        ("PATCH", f"/groups/{token}", {"user_group": {"description": "changed"}}),
        ("DELETE", f"/groups/{token}", None),
        ("POST", f"/groups/{token}/memberships", {"membership": {"member_token": member["token"]}}),
    ]
    for method, path, body in attempts:
        response = workspace.session.request(method, workspace.url(path), json=body, timeout=30)
        assert_error(response, 403, "forbidden")
    # The managed check comes before the body is read.
    response = post_raw(workspace, b"{bad", path=f"/groups/{token}", method="PATCH")
    assert_error(response, 403, "forbidden")

    assert workspace.get(f"/groups/{token}").json() == group
    assert_error(workspace.post("/groups", group_body(name.upper())), 409, "conflict",
                 "user_group.name")

