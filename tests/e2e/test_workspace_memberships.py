"""Workspace memberships, deactivation (HTTP and CLI) and the member filters of the group list."""

import re
import threading

import pytest
import requests

from conftest import unique

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def add_to_group(ws, group_token, member_token):
    response = ws.post(f"/groups/{group_token}/memberships",
                       {"membership": {"member_token": member_token}})
    assert response.status_code == 200, response.text
    return response.json()


def member_count(ws, group_token):
    response = ws.get(f"/groups/{group_token}")
    assert response.status_code == 200, response.text
    return response.json()["member_count"]


def membership_list(ws, group_token):
    response = ws.get(f"/groups/{group_token}/memberships")
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["group_memberships"]


def group_tokens(ws, query):
    response = ws.get(f"/groups{query}")
    assert response.status_code == 200, response.text
    return [g["token"] for g in response.json()["_embedded"]["groups"]]


def grant_data_source(ws, source_token, group_token, action="view"):
    response = ws.post(f"/data_sources/{source_token}/permissions",
                       {"permission": {"action": action, "accessor_type": "UserGroup",
                                       "accessor_token": group_token}})
    assert response.status_code == 200, response.text
    return response.json()


def test_list_fields_and_links(make_workspace):
    ws = make_workspace()
    user = ws.add_user(unique("u"))
    response = ws.get("/memberships")
    assert response.status_code == 200
    body = response.json()
    assert body["_links"] == {"self": {"href": f"/api/{ws.slug}/memberships",
                                       "templated": False}}
    items = body["_embedded"]["memberships"]
    assert [m["member_username"] for m in items] == [ws.admin_name, user["username"]]

    admin, member = items
    assert admin["admin"] is True
    assert member["admin"] is False
    assert member["state"] == "active"
    assert member["member_token"] == user["token"]
    assert member["managed_by_scim"] is False
    assert TIMESTAMP.match(member["activated_at"])
    assert member["_embedded"] == {}
    name = user["username"]
    assert member["_links"] == {
        "self": {"href": f"/api/{ws.slug}/memberships/{name}", "templated": False},
        "user": {"href": f"/api/{name}", "templated": False},
        "groups": {"href": f"/api/{ws.slug}/groups?member={name}", "templated": False},
        "organization": {"href": f"/api/{ws.slug}", "templated": False},
    }


def test_lite_rows(make_workspace):
    ws = make_workspace()
    username = unique("u")
    user = ws.server.cli.json("user", "create", username, "--name", "Ada Lovelace",
                              "--email", f"{username}@example.com")
    ws.server.cli.member(ws.slug, username)
    response = ws.get("/memberships/lite")
    assert response.status_code == 200
    body = response.json()
    assert body["_links"]["self"]["href"] == f"/api/{ws.slug}/memberships/lite"
    rows = body["_embedded"]["memberships"]
    assert rows[1] == {"username": username, "name": "Ada Lovelace",
                       "email": f"{username}@example.com", "member_token": user["token"],
                       "state": "active", "admin": False}
    assert rows[0]["username"] == ws.admin_name
    assert rows[0]["admin"] is True


def test_list_pagination(make_workspace):
    ws = make_workspace()
    names = [ws.admin_name] + [ws.add_user(unique("u"))["username"] for _ in range(4)]
    seen = []
    for page in (1, 2, 3):
        response = ws.get(f"/memberships?page={page}&per_page=2")
        assert response.status_code == 200
        body = response.json()
        assert body["pagination"]["total_count"] == 5
        assert body["pagination"]["total_pages"] == 3
        seen += [m["member_username"] for m in body["_embedded"]["memberships"]]
    assert seen == names
    assert ws.get("/memberships?per_page=0").status_code == 400
    assert ws.get("/memberships/lite?page=abc").status_code == 400


def test_get_member(workspace):
    ws = workspace
    user = ws.add_user(unique("u"))
    response = ws.get(f"/memberships/{user['username']}")
    assert response.status_code == 200
    listed = [m for m in ws.get("/memberships").json()["_embedded"]["memberships"]
              if m["member_username"] == user["username"]]
    assert response.json() == listed[0]


def test_get_unknown_member_404(workspace, make_workspace):
    ws = workspace
    other = make_workspace()
    stranger = other.add_user(unique("s"))
    loner = ws.server.cli.user(unique("n"))
    for username in ("nosuchuser0", stranger["username"], loner["username"], other.slug):
        for method in ("GET", "DELETE"):
            response = ws.session.request(method, ws.url(f"/memberships/{username}"), timeout=30)
            assert response.status_code == 404, (method, username)
            assert response.json()["id"] == "not_found"
    assert other.get(f"/memberships/{stranger['username']}").json()["state"] == "active"


def test_delete_deactivates_and_leaves_groups(make_workspace):
    ws = make_workspace()
    other_ws = make_workspace()
    user = ws.add_user(unique("u"))
    other_ws.server.cli.member(other_ws.slug, user["username"])
    bystander = ws.add_user(unique("b"))

    groups = [ws.create_group(unique("g"))["token"] for _ in range(3)]
    for token in groups[:2]:
        add_to_group(ws, token, user["token"])
        add_to_group(ws, token, bystander["token"])
    foreign_group = other_ws.create_group(unique("g"))["token"]
    add_to_group(other_ws, foreign_group, user["token"])

    response = ws.delete(f"/memberships/{user['username']}")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "deactivated"
    assert body["member_username"] == user["username"]

    for token in groups[:2]:
        assert member_count(ws, token) == 1
        members = membership_list(ws, token)
        assert [m["member_username"] for m in members] == [bystander["username"]]
    assert member_count(ws, groups[2]) == 0
    assert group_tokens(ws, f"?member={user['username']}") == []
    assert ws.get(f"/memberships/{user['username']}").json()["state"] == "deactivated"

    assert member_count(other_ws, foreign_group) == 1
    assert other_ws.get(f"/memberships/{user['username']}").json()["state"] == "active"


def test_deactivated_member_listed_with_state(make_workspace):
    ws = make_workspace()
    user = ws.add_user(unique("u"))
    ws.delete(f"/memberships/{user['username']}")
    full = {m["member_username"]: m for m in ws.get("/memberships").json()["_embedded"]["memberships"]}
    lite = {m["username"]: m for m in ws.get("/memberships/lite").json()["_embedded"]["memberships"]}
    assert full[user["username"]]["state"] == "deactivated"
    assert lite[user["username"]]["state"] == "deactivated"


def test_delete_twice_stays_deactivated(workspace):
    ws = workspace
    user = ws.add_user(unique("u"))
    assert ws.delete(f"/memberships/{user['username']}").status_code == 200
    again = ws.delete(f"/memberships/{user['username']}")
    assert again.status_code == 200
    assert again.json()["state"] == "deactivated"


def test_deactivated_member_token_loses_access(workspace):
    ws = workspace
    user = ws.add_user(unique("u"), admin=True)
    token = ws.server.cli.user_token(user["username"])
    assert requests.get(ws.url("/groups"), auth=token.auth, timeout=30).status_code == 200
    ws.delete(f"/memberships/{user['username']}")
    response = requests.get(ws.url("/groups"), auth=token.auth, timeout=30)
    assert response.status_code == 404
    assert response.json()["message"] == "Membership not found for Workspace"


def test_cli_deactivate_leaves_groups(make_workspace):
    ws = make_workspace()
    other_ws = make_workspace()
    user = ws.add_user(unique("u"))
    other_ws.server.cli.member(other_ws.slug, user["username"])
    group = ws.create_group(unique("g"))["token"]
    foreign_group = other_ws.create_group(unique("g"))["token"]
    add_to_group(ws, group, user["token"])
    add_to_group(other_ws, foreign_group, user["token"])

    out = ws.server.cli.json("member", "deactivate", ws.slug, user["username"])
    assert out["state"] == "deactivated"
    assert member_count(ws, group) == 0
    assert membership_list(ws, group) == []
    assert ws.get(f"/memberships/{user['username']}").json()["state"] == "deactivated"
    assert member_count(other_ws, foreign_group) == 1


def test_cli_deactivate_non_member_fails(workspace):
    loner = workspace.server.cli.user(unique("n"))
    result = workspace.server.cli.run("member", "deactivate", workspace.slug, loner["username"],
                                      check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_reactivation_does_not_restore_groups(make_workspace):
    ws = make_workspace()
    user = ws.add_user(unique("u"))
    group = ws.create_group(unique("g"))["token"]
    add_to_group(ws, group, user["token"])
    ws.delete(f"/memberships/{user['username']}")

    out = ws.server.cli.member(ws.slug, user["username"])
    assert out["state"] == "active"
    assert ws.get(f"/memberships/{user['username']}").json()["state"] == "active"
    assert member_count(ws, group) == 0
    membership = add_to_group(ws, group, user["token"])
    assert membership["member_token"] == user["token"]
    assert member_count(ws, group) == 1


def test_group_filter_by_member(make_workspace):
    ws = make_workspace()
    user = ws.add_user(unique("u"))
    other = ws.add_user(unique("o"))
    groups = [ws.create_group(unique("g"))["token"] for _ in range(4)]
    add_to_group(ws, groups[0], user["token"])
    add_to_group(ws, groups[2], user["token"])
    add_to_group(ws, groups[1], other["token"])

    assert group_tokens(ws, f"?member={user['username']}") == [groups[0], groups[2]]
    assert group_tokens(ws, f"?member={other['username']}") == [groups[1]]
    assert group_tokens(ws, f"?member={ws.admin_name}") == []
    assert group_tokens(ws, "?member=nosuchuser0") == []

    body = ws.get(f"/groups?member={user['username']}&page=1&per_page=1").json()
    assert body["pagination"]["total_count"] == 2
    assert body["_links"]["next_page"]["href"] == (
        f"/api/{ws.slug}/groups?member={user['username']}&page=2&per_page=1")
    assert body["_links"]["self"]["href"] == f"/api/{ws.slug}/groups?member={user['username']}"


def test_group_filter_member_link_of_membership(make_workspace):
    ws = make_workspace()
    user = ws.add_user(unique("u"))
    group = ws.create_group(unique("g"))["token"]
    add_to_group(ws, group, user["token"])
    href = ws.get(f"/memberships/{user['username']}").json()["_links"]["groups"]["href"]
    response = ws.session.get(ws.server.url(href), timeout=30)
    assert response.status_code == 200
    assert [g["token"] for g in response.json()["_embedded"]["groups"]] == [group]


def test_group_filter_other_workspace_member(make_workspace):
    ws = make_workspace()
    other_ws = make_workspace()
    stranger = other_ws.add_user(unique("s"))
    foreign_group = other_ws.create_group(unique("g"))["token"]
    add_to_group(other_ws, foreign_group, stranger["token"])
    ws.create_group(unique("g"))
    assert group_tokens(ws, f"?member={stranger['username']}") == []


def test_group_filter_member_and_data_source(make_workspace):
    ws = make_workspace()
    user = ws.add_user(unique("u"))
    source = ws.server.cli.json("data-source", "add", ws.slug, "warehouse")["token"]
    other_source = ws.server.cli.json("data-source", "add", ws.slug, "lake")["token"]
    groups = [ws.create_group(unique("g"))["token"] for _ in range(4)]
    for token in groups[:3]:
        add_to_group(ws, token, user["token"])
    grant_data_source(ws, source, groups[0])
    grant_data_source(ws, source, groups[2], "query")
    grant_data_source(ws, source, groups[3])
    grant_data_source(ws, other_source, groups[1])

    query = f"?member={user['username']}&data_source={source}"
    assert group_tokens(ws, query) == [groups[0], groups[2]]
    assert group_tokens(ws, f"?member={user['username']}&data_source={other_source}") == [
        groups[1]]
    assert group_tokens(ws, f"?member={user['username']}&data_source=zzzzzzzzzzzz") == []


def test_group_filter_data_source_of_other_workspace(make_workspace):
    ws = make_workspace()
    other_ws = make_workspace()
    user = ws.add_user(unique("u"))
    group = ws.create_group(unique("g"))["token"]
    add_to_group(ws, group, user["token"])
    foreign_source = other_ws.server.cli.json("data-source", "add", other_ws.slug, "w")["token"]
    query = f"?member={user['username']}&data_source={foreign_source}"
    assert group_tokens(ws, query) == []


@pytest.mark.parametrize("query", ["?data_source=zzzzzzzzzzzz", "?data_source="])
def test_group_filter_data_source_alone_rejected(workspace, query):
    response = workspace.get(f"/groups{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["id"] == "bad_request"
    assert body["field"] == "data_source"


def test_non_admin_member_forbidden(workspace):
    ws = workspace
    user = ws.add_user(unique("u"))
    token = ws.server.cli.user_token(user["username"])
    for method, path in (("GET", "/memberships"), ("GET", "/memberships/lite"),
                         ("GET", f"/memberships/{ws.admin_name}"),
                         ("DELETE", f"/memberships/{ws.admin_name}")):
        response = requests.request(method, ws.url(path), auth=token.auth, timeout=30)
        assert response.status_code == 403, (method, path)
    assert ws.get(f"/memberships/{ws.admin_name}").json()["state"] == "active"


def test_other_workspace_admin_gets_404(make_workspace):
    ws = make_workspace()
    other = make_workspace()
    user = ws.add_user(unique("u"))
    for credentials in (other.token, other.admin_token):
        for method, path in (("GET", "/memberships"), ("GET", "/memberships/lite"),
                             ("GET", f"/memberships/{user['username']}"),
                             ("DELETE", f"/memberships/{user['username']}"),
                             ("GET", f"/groups?member={user['username']}")):
            response = requests.request(method, ws.url(path), auth=credentials.auth, timeout=30)
            assert response.status_code == 404, (method, path)
            assert response.json()["message"] == "Membership not found for Workspace"
    assert ws.get(f"/memberships/{user['username']}").json()["state"] == "active"


def run_together(calls):
    """Runs each (method, url, body, auth) at the same moment; returns the responses in order."""
    barrier = threading.Barrier(len(calls))
    responses = [None] * len(calls)

    def worker(index, method, url, body, auth):
        barrier.wait(timeout=30)
        responses[index] = requests.request(method, url, json=body, auth=auth, timeout=60)

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return responses


def test_concurrent_deactivation_and_group_changes(make_workspace):
    """Deactivation racing membership removals and adds leaves every count equal to its list."""
    ws = make_workspace()
    groups = [ws.create_group(unique("g"))["token"] for _ in range(3)]
    bystander = ws.add_user(unique("b"))
    for group in groups:
        add_to_group(ws, group, bystander["token"])
    auth = ws.token.auth
    for _ in range(8):
        user = ws.add_user(unique("u"))
        memberships = [add_to_group(ws, group, user["token"]) for group in groups[:2]]
        calls = [("DELETE", ws.url(f"/memberships/{user['username']}"), None, auth)]
        calls += [("DELETE", ws.url(f"/groups/{group}/memberships/{m['token']}"), None, auth)
                  for group, m in zip(groups, memberships)]
        calls.append(("POST", ws.url(f"/groups/{groups[2]}/memberships"),
                      {"membership": {"member_token": user["token"]}}, auth))
        responses = run_together(calls)
        assert responses[0].status_code == 200
        # A removal that runs after the deactivation finds the membership gone.
        assert {r.status_code for r in responses[1:3]} <= {200, 404}
        assert responses[3].status_code in (200, 400)
        for group in groups:
            members = membership_list(ws, group)
            assert [m["member_username"] for m in members] == [bystander["username"]]
            assert member_count(ws, group) == 1
