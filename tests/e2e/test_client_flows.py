"""Call sequences that real Mode API clients make: a read-only sync, an infrastructure-as-code
provider's create/read/delete cycle, and an admin script that resolves tokens by listing."""

import json
import time

import requests

from conftest import unique

HAL = "application/hal+json"


def test_read_only_sync_without_accept_or_paging(make_workspace):
    """A connector-style sync: plain GETs, no Accept header, no page or per_page."""
    ws = make_workspace()
    users = [ws.add_user(unique("u")) for _ in range(31)]
    groups = [ws.create_group(unique("g"))["token"] for _ in range(33)]
    for user in users:
        response = ws.post(f"/groups/{groups[0]}/memberships",
                           {"membership": {"member_token": user["token"]}})
        assert response.status_code == 200, response.text
    ws.post(f"/groups/{groups[1]}/memberships", {"membership": {"member_token": users[0]["token"]}})
    spaces = [ws.post("/spaces", {"space": {"name": unique("s")}}).json()["token"]
              for _ in range(2)]
    source = ws.server.cli.json("data-source", "add", ws.slug, "warehouse")["token"]

    session = requests.Session()
    session.auth = ws.token.auth
    session.headers.pop("Accept")

    def get(path):
        response = session.get(ws.server.url(path), timeout=30)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["Content-Type"] == HAL
        assert "Accept" not in response.request.headers
        body = response.json()
        assert "pagination" not in body
        assert "next_page" not in body["_links"]
        return body

    listed = get(f"/api/{ws.slug}/groups")["_embedded"]["groups"]
    assert [g["token"] for g in listed] == groups

    member_counts = {}
    for group in listed:
        members = get(group["_links"]["group_memberships"]["href"])
        items = members["_embedded"]["group_memberships"]
        assert len(items) == group["member_count"]
        member_counts[group["token"]] = len(items)
    assert member_counts[groups[0]] == 31
    assert member_counts[groups[1]] == 1
    assert sum(member_counts.values()) == 32

    workspace_members = get(f"/api/{ws.slug}/memberships")["_embedded"]["memberships"]
    assert len(workspace_members) == 32
    assert {m["member_token"] for m in workspace_members} >= {u["token"] for u in users}

    listed_spaces = get(f"/api/{ws.slug}/spaces")["_embedded"]["spaces"]
    assert [s["token"] for s in listed_spaces] == spaces
    listed_sources = get(f"/api/{ws.slug}/data_sources")["_embedded"]["data_sources"]
    assert [s["token"] for s in listed_sources] == [source]


def poll_until_gone(session, url, attempts=50):
    for _ in range(attempts):
        response = session.get(url, timeout=30)
        if response.status_code == 404:
            return response
        assert response.status_code == 200, response.text
        time.sleep(0.1)
    raise AssertionError(f"{url} still returns 200 after {attempts} polls")


def test_infrastructure_as_code_cycle(workspace):
    """A Terraform-style provider: create, read back, delete, poll until 404."""
    ws = workspace
    user = ws.add_user(unique("u"))
    session = requests.Session()
    session.auth = ws.token.auth
    session.headers.update({"Accept": HAL, "Content-Type": "application/json"})

    def call(method, path, body=None):
        data = None if body is None else json.dumps(body)
        response = session.request(method, ws.url(path), data=data, timeout=30)
        assert response.headers["Content-Type"] == HAL
        assert response.request.headers["Content-Type"] == "application/json"
        assert response.request.headers["Accept"] == HAL
        return response

    name = unique("tf")
    created = call("POST", "/groups", {"user_group": {"name": name, "description": "managed by tf"}})
    assert created.status_code == 200, created.text
    group = created.json()

    added = call("POST", f"/groups/{group['token']}/memberships",
                 {"membership": {"member_token": user["token"]}})
    assert added.status_code == 200, added.text
    membership = added.json()

    read_group = call("GET", f"/groups/{group['token']}")
    assert read_group.status_code == 200
    assert read_group.json()["name"] == name
    assert read_group.json()["description"] == "managed by tf"
    assert read_group.json()["member_count"] == 1
    read_membership = call("GET", f"/groups/{group['token']}/memberships/{membership['token']}")
    assert read_membership.status_code == 200
    assert read_membership.json() == membership

    # A second apply with no changes is a no-op: adding again returns the same membership.
    again = call("POST", f"/groups/{group['token']}/memberships",
                 {"membership": {"member_token": user["token"]}})
    assert again.json()["token"] == membership["token"]

    removed = call("DELETE", f"/groups/{group['token']}/memberships/{membership['token']}")
    assert removed.status_code == 200
    not_found = poll_until_gone(session, ws.url(f"/groups/{group['token']}/memberships/"
                                                f"{membership['token']}"))
    assert not_found.json()["id"] == "not_found"

    deleted = call("DELETE", f"/groups/{group['token']}")
    assert deleted.status_code == 200
    assert deleted.json()["state"] == "soft_deleted"
    not_found = poll_until_gone(session, ws.url(f"/groups/{group['token']}"))
    assert not_found.headers["Content-Type"] == HAL

    # The name is free for the next apply.
    recreated = call("POST", "/groups", {"user_group": {"name": name}})
    assert recreated.status_code == 200
    assert recreated.json()["token"] != group["token"]


def test_admin_script_resolves_tokens_by_listing(workspace):
    """A cookbook-style script acting with an admin's member token."""
    ws = workspace
    username = unique("u")
    ws.add_user(username)
    group = ws.create_group(unique("g"))
    session = requests.Session()
    session.auth = ws.admin_token.auth

    members = session.get(ws.url("/memberships"), timeout=30).json()["_embedded"]["memberships"]
    matches = [m for m in members if m["member_username"] == username]
    assert len(matches) == 1
    member_token = matches[0]["member_token"]

    response = session.post(ws.url(f"/groups/{group['token']}/memberships"),
                            json={"membership": {"member_token": member_token}}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["_links"]["creator"]["href"] == f"/api/{ws.admin_name}"

    listing = session.get(ws.url(f"/groups/{group['token']}/memberships"), timeout=30).json()
    found = [m for m in listing["_embedded"]["group_memberships"]
             if m["member_token"] == member_token]
    assert len(found) == 1
    membership_token = found[0]["token"]

    response = session.delete(ws.url(f"/groups/{group['token']}/memberships/{membership_token}"),
                              timeout=30)
    assert response.status_code == 200
    assert response.json()["member_username"] == username

    listing = session.get(ws.url(f"/groups/{group['token']}/memberships"), timeout=30).json()
    assert listing["_embedded"]["group_memberships"] == []
    assert session.get(ws.url(f"/groups/{group['token']}"), timeout=30).json()[
        "member_count"] == 0
