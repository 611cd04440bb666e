"""Spaces and their permissions, and the spaces_count of groups."""

import re
import threading

import pytest
import requests

from conftest import unique

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TOKEN = re.compile(r"^[a-z0-9]{12}$")


def create_space(ws, name=None, **fields):
    response = ws.post("/spaces", {"space": {"name": name or unique("space"), **fields}})
    assert response.status_code == 200, response.text
    return response.json()


def grant(ws, space_token, accessor_type, accessor_token, action="view"):
    return ws.post(f"/spaces/{space_token}/permissions",
                   {"permission": {"action": action, "accessor_type": accessor_type,
                                   "accessor_token": accessor_token}})


def granted(ws, space_token, accessor_type, accessor_token, action="view"):
    response = grant(ws, space_token, accessor_type, accessor_token, action)
    assert response.status_code == 200, response.text
    return response.json()


def permissions_of(ws, space_token):
    response = ws.get(f"/spaces/{space_token}/permissions")
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["space_permissions"]


def spaces_count(ws, group_token):
    response = ws.get(f"/groups/{group_token}")
    assert response.status_code == 200, response.text
    return response.json()["spaces_count"]


def test_space_fields_and_links(workspace):
    ws = workspace
    space = create_space(ws, "Finance", description="Quarterly numbers")
    token = space["token"]
    assert TOKEN.match(token)
    assert space["name"] == "Finance"
    assert space["description"] == "Quarterly numbers"
    assert space["space_type"] == "custom"
    assert space["state"] == "active"
    assert TIMESTAMP.match(space["created_at"])
    assert space["updated_at"] == space["created_at"]
    assert space["_embedded"] == {}
    assert space["_links"] == {
        "self": {"href": f"/api/{ws.slug}/spaces/{token}", "templated": False},
        "web": {"href": f"/organizations/{ws.slug}/spaces/{token}", "templated": False},
        "permissions": {"href": f"/api/{ws.slug}/spaces/{token}/permissions",
                        "templated": False},
        "creator": {"href": f"/api/{ws.slug}", "templated": False},
    }
    assert ws.get(f"/spaces/{token}").json() == space


def test_space_creator_is_member_token_user(workspace):
    response = requests.post(workspace.url("/spaces"), json={"space": {"name": "mine"}},
                             auth=workspace.admin_token.auth, timeout=30)
    assert response.status_code == 200
    assert response.json()["_links"]["creator"]["href"] == f"/api/{workspace.admin_name}"
    assert response.json()["description"] == ""


def test_space_list_oldest_first_and_paged(make_workspace):
    ws = make_workspace()
    assert ws.get("/spaces").json() == {
        "_links": {"self": {"href": f"/api/{ws.slug}/spaces", "templated": False}},
        "_embedded": {"spaces": []}}
    tokens = [create_space(ws)["token"] for _ in range(5)]
    assert [s["token"] for s in ws.get("/spaces").json()["_embedded"]["spaces"]] == tokens

    page = ws.get("/spaces?page=2&per_page=2").json()
    assert [s["token"] for s in page["_embedded"]["spaces"]] == tokens[2:4]
    assert page["pagination"] == {"page": 2, "per_page": 2, "count": 2, "total_pages": 3,
                                  "total_count": 5}
    assert page["_links"]["next_page"]["href"] == f"/api/{ws.slug}/spaces?page=3&per_page=2"
    assert page["_links"]["prev_page"]["href"] == f"/api/{ws.slug}/spaces?page=1&per_page=2"
    assert ws.get("/spaces?page=0").status_code == 400


def test_space_patch_and_post_update(workspace):
    ws = workspace
    space = create_space(ws, "Old name", description="old")
    path = f"/spaces/{space['token']}"

    response = ws.patch(path, {"space": {"name": "  New name  "}})
    assert response.status_code == 200
    patched = response.json()
    assert patched["name"] == "New name"
    assert patched["description"] == "old"
    assert patched["updated_at"] >= space["updated_at"]

    response = ws.post(path, {"space": {"description": "new"}})
    assert response.status_code == 200
    assert response.json()["name"] == "New name"
    assert response.json()["description"] == "new"
    assert ws.get(path).json()["description"] == "new"


@pytest.mark.parametrize("body, status, error_id, field", [
    ({}, 400, "param_missing", "space"),
    ({"space": {}}, 400, "param_missing", "space.name"),
    ({"space": {"name": ""}}, 400, "bad_request", "space.name"),
    ({"space": {"name": "   "}}, 400, "bad_request", "space.name"),
    ({"space": {"name": 5}}, 400, "bad_request", "space.name"),
    ({"space": {"name": "x" * 256}}, 400, "bad_request", "space.name"),
    ({"space": {"name": "a\u0007b"}}, 400, "bad_request", "space.name"),
    ({"space": {"name": "ok", "description": 1}}, 400, "bad_request", "space.description"),
    ({"space": {"name": "ok", "description": "x" * 4001}}, 400, "bad_request",
     "space.description"),
])
def test_space_invalid_bodies(workspace, body, status, error_id, field):
    ws = workspace
    space = create_space(ws)
    for method, path in (("POST", "/spaces"), ("PATCH", f"/spaces/{space['token']}")):
        response = ws.session.request(method, ws.url(path), json=body, timeout=30)
        assert response.status_code == status, (method, response.text)
        assert response.json()["id"] == error_id
        assert response.json()["field"] == field
    assert ws.get(f"/spaces/{space['token']}").json() == space


def test_space_patch_without_known_field(workspace):
    space = create_space(workspace)
    response = workspace.patch(f"/spaces/{space['token']}", {"space": {"colour": "red"}})
    assert response.status_code == 400
    assert response.json()["id"] == "param_missing"


def test_space_delete_then_404(workspace):
    ws = workspace
    space = create_space(ws)
    path = f"/spaces/{space['token']}"
    response = ws.delete(path)
    assert response.status_code == 200
    assert response.json()["token"] == space["token"]
    assert response.json()["name"] == space["name"]
    for method, body in (("GET", None), ("PATCH", {"space": {"name": "n"}}),
                         ("POST", {"space": {"name": "n"}}), ("DELETE", None)):
        assert ws.session.request(method, ws.url(path), json=body, timeout=30).status_code == 404
    assert ws.get(path + "/permissions").status_code == 404
    assert space["token"] not in [s["token"] for s in ws.get("/spaces").json()["_embedded"]["spaces"]]


def test_permission_fields_and_links(workspace):
    ws = workspace
    space = create_space(ws)
    user = ws.add_user(unique("u"))
    group = ws.create_group(unique("g"))
    base = f"/api/{ws.slug}/spaces/{space['token']}"

    account = granted(ws, space["token"], "Account", user["token"], "view")
    assert TOKEN.match(account["token"])
    assert account["action"] == "view"
    assert account["accessor_type"] == "Account"
    assert account["accessor_token"] == user["token"]
    assert account["_embedded"] == {}
    assert account["_links"] == {
        "self": {"href": f"{base}/permissions/{account['token']}", "templated": False},
        "space": {"href": base, "templated": False},
        "accessor": {"href": f"/api/{user['username']}", "templated": False},
    }

    by_group = granted(ws, space["token"], "UserGroup", group["token"], "edit")
    assert by_group["accessor_type"] == "UserGroup"
    assert by_group["accessor_token"] == group["token"]
    assert by_group["_links"]["accessor"]["href"] == f"/api/{ws.slug}/groups/{group['token']}"

    response = ws.get(f"/spaces/{space['token']}/permissions")
    assert response.json()["_links"]["self"]["href"] == f"{base}/permissions"
    assert response.json()["_embedded"]["space_permissions"] == [account, by_group]
    assert ws.get(f"/spaces/{space['token']}/permissions/{account['token']}").json() == account


def test_second_grant_updates_action(workspace):
    ws = workspace
    space = create_space(ws)
    group = ws.create_group(unique("g"))
    user = ws.add_user(unique("u"))
    for accessor_type, token in (("UserGroup", group["token"]), ("Account", user["token"])):
        first = granted(ws, space["token"], accessor_type, token, "view")
        second = granted(ws, space["token"], accessor_type, token, "edit")
        assert second["token"] == first["token"]
        assert second["action"] == "edit"
        third = granted(ws, space["token"], accessor_type, token, "edit")
        assert third == second
    assert len(permissions_of(ws, space["token"])) == 2
    assert spaces_count(ws, group["token"]) == 1


def test_permission_patch_get_delete(workspace):
    ws = workspace
    space = create_space(ws)
    group = ws.create_group(unique("g"))
    permission = granted(ws, space["token"], "UserGroup", group["token"], "view")
    path = f"/spaces/{space['token']}/permissions/{permission['token']}"

    response = ws.patch(path, {"permission": {"action": "edit"}})
    assert response.status_code == 200
    assert response.json() == {**permission, "action": "edit"}
    assert ws.get(path).json()["action"] == "edit"

    response = ws.patch(path, {"permission": {"action": "manage"}})
    assert response.status_code == 400
    assert response.json()["field"] == "permission.action"
    response = ws.patch(path, {"permission": {}})
    assert response.status_code == 400
    assert response.json()["id"] == "param_missing"
    assert ws.get(path).json()["action"] == "edit"

    response = ws.delete(path)
    assert response.status_code == 200
    assert response.json() == {**permission, "action": "edit"}
    assert ws.get(path).status_code == 404
    assert ws.patch(path, {"permission": {"action": "view"}}).status_code == 404
    assert ws.delete(path).status_code == 404
    assert spaces_count(ws, group["token"]) == 0


@pytest.mark.parametrize("permission, error_id, field", [
    ({"accessor_type": "UserGroup"}, "param_missing", "permission.action"),
    ({"action": "manage", "accessor_type": "UserGroup"}, "bad_request", "permission.action"),
    ({"action": "query", "accessor_type": "UserGroup"}, "bad_request", "permission.action"),
    ({"action": "VIEW", "accessor_type": "UserGroup"}, "bad_request", "permission.action"),
    ({"action": 1, "accessor_type": "UserGroup"}, "bad_request", "permission.action"),
    ({"action": "view"}, "param_missing", "permission.accessor_type"),
    ({"action": "view", "accessor_type": "Group"}, "bad_request", "permission.accessor_type"),
    ({"action": "view", "accessor_type": "usergroup"}, "bad_request",
     "permission.accessor_type"),
    ({"action": "view", "accessor_type": "UserGroup", "accessor_token": None}, "param_missing",
     "permission.accessor_token"),
    ({"action": "view", "accessor_type": "UserGroup", "accessor_token": 7}, "bad_request",
     "permission.accessor_token"),
])
def test_grant_invalid_fields(workspace, permission, error_id, field):
    ws = workspace
    space = create_space(ws)
    group = ws.create_group(unique("g"))
    body = {"permission": {"accessor_token": group["token"], **permission}}
    response = ws.post(f"/spaces/{space['token']}/permissions", body)
    assert response.status_code == 400, response.text
    assert response.json()["id"] == error_id
    assert response.json()["field"] == field
    assert permissions_of(ws, space["token"]) == []
    assert spaces_count(ws, group["token"]) == 0


def test_grant_missing_wrapper(workspace):
    space = create_space(workspace)
    response = workspace.post(f"/spaces/{space['token']}/permissions", {"action": "view"})
    assert response.status_code == 400
    assert response.json()["field"] == "permission"


def test_grant_unknown_or_foreign_accessor(make_workspace):
    ws = make_workspace()
    other = make_workspace()
    space = create_space(ws)
    foreign_user = other.add_user(unique("s"))
    foreign_group = other.create_group(unique("g"))
    loner = ws.server.cli.user(unique("n"))
    own_group = ws.create_group(unique("g"))
    own_user = ws.add_user(unique("u"))

    unknown = {t: grant(ws, space["token"], t, "zzzzzzzzzzzz") for t in ("Account", "UserGroup")}
    for accessor_type, response in unknown.items():
        assert response.status_code == 400
        assert response.json()["field"] == "permission.accessor_token"

    cases = [("Account", foreign_user["token"]), ("UserGroup", foreign_group["token"]),
             ("Account", loner["token"]), ("Account", own_group["token"]),
             ("UserGroup", own_user["token"]), ("Account", ws.account["token"]),
             ("Account", other.account["token"])]
    for accessor_type, token in cases:
        response = grant(ws, space["token"], accessor_type, token)
        assert response.status_code == 400, (accessor_type, token)
        assert response.content == unknown[accessor_type].content, (accessor_type, token)
    assert permissions_of(ws, space["token"]) == []
    assert other.get(f"/groups/{foreign_group['token']}").json()["spaces_count"] == 0


def test_grant_deactivated_member_rejected(workspace):
    ws = workspace
    space = create_space(ws)
    user = ws.add_user(unique("u"))
    ws.delete(f"/memberships/{user['username']}")
    response = grant(ws, space["token"], "Account", user["token"])
    assert response.status_code == 400
    assert response.json()["field"] == "permission.accessor_token"


def test_grant_deleted_group_rejected(workspace):
    ws = workspace
    space = create_space(ws)
    group = ws.create_group(unique("g"))
    ws.delete(f"/groups/{group['token']}")
    response = grant(ws, space["token"], "UserGroup", group["token"])
    assert response.status_code == 400
    assert response.json()["field"] == "permission.accessor_token"


def test_grant_on_unknown_space_404(workspace):
    group = workspace.create_group(unique("g"))
    response = grant(workspace, "zzzzzzzzzzzz", "UserGroup", group["token"])
    assert response.status_code == 404
    assert response.json()["message"] == "Space not found"


def test_permission_of_other_space_404(workspace):
    ws = workspace
    space = create_space(ws)
    other_space = create_space(ws)
    group = ws.create_group(unique("g"))
    permission = granted(ws, space["token"], "UserGroup", group["token"])
    path = f"/spaces/{other_space['token']}/permissions/{permission['token']}"
    assert ws.get(path).status_code == 404
    assert ws.patch(path, {"permission": {"action": "edit"}}).status_code == 404
    assert ws.delete(path).status_code == 404
    assert ws.get(f"/spaces/{space['token']}/permissions/{permission['token']}").json() == permission
    assert spaces_count(ws, group["token"]) == 1


def test_spaces_count_tracks_permissions(workspace):
    ws = workspace
    spaces = [create_space(ws)["token"] for _ in range(3)]
    group = ws.create_group(unique("g"))["token"]
    bystander = ws.create_group(unique("g"))["token"]
    user = ws.add_user(unique("u"))

    assert spaces_count(ws, group) == 0
    permissions = [granted(ws, s, "UserGroup", group) for s in spaces]
    assert spaces_count(ws, group) == 3
    granted(ws, spaces[0], "UserGroup", group, "edit")
    assert spaces_count(ws, group) == 3
    granted(ws, spaces[0], "Account", user["token"])
    assert spaces_count(ws, group) == 3
    assert spaces_count(ws, bystander) == 0

    ws.delete(f"/spaces/{spaces[1]}/permissions/{permissions[1]['token']}")
    assert spaces_count(ws, group) == 2
    listed = {g["token"]: g for g in ws.get("/groups").json()["_embedded"]["groups"]}
    assert listed[group]["spaces_count"] == 2
    assert listed[group]["data_sources_count"] == 0


def test_space_delete_removes_permissions(workspace):
    ws = workspace
    space = create_space(ws)["token"]
    kept_space = create_space(ws)["token"]
    groups = [ws.create_group(unique("g"))["token"] for _ in range(2)]
    for group in groups:
        granted(ws, space, "UserGroup", group)
    granted(ws, kept_space, "UserGroup", groups[0])
    user = ws.add_user(unique("u"))
    granted(ws, space, "Account", user["token"])

    assert ws.delete(f"/spaces/{space}").status_code == 200
    assert spaces_count(ws, groups[0]) == 1
    assert spaces_count(ws, groups[1]) == 0
    assert len(permissions_of(ws, kept_space)) == 1


def test_group_delete_removes_permissions_and_memberships(workspace):
    ws = workspace
    space = create_space(ws)["token"]
    group = ws.create_group(unique("g"))
    user = ws.add_user(unique("u"))
    ws.post(f"/groups/{group['token']}/memberships", {"membership": {"member_token": user["token"]}})
    permission = granted(ws, space, "UserGroup", group["token"])
    account = granted(ws, space, "Account", user["token"])

    deleted = ws.delete(f"/groups/{group['token']}").json()
    assert deleted["state"] == "soft_deleted"
    assert deleted["member_count"] == 1
    assert deleted["spaces_count"] == 1
    assert permissions_of(ws, space) == [account]
    assert ws.get(f"/spaces/{space}/permissions/{permission['token']}").status_code == 404
    assert ws.get(f"/groups?member={user['username']}").json()["_embedded"]["groups"] == []

    # A new group with the same name starts with no members and no permissions.
    again = ws.create_group(group["name"])
    assert again["member_count"] == 0
    assert again["spaces_count"] == 0


def test_non_admin_member_forbidden(workspace):
    ws = workspace
    space = create_space(ws)
    user = ws.add_user(unique("u"))
    token = ws.server.cli.user_token(user["username"])
    for method, path in (("GET", "/spaces"), ("POST", "/spaces"),
                         ("GET", f"/spaces/{space['token']}"),
                         ("DELETE", f"/spaces/{space['token']}"),
                         ("GET", f"/spaces/{space['token']}/permissions")):
        response = requests.request(method, ws.url(path), json={"space": {"name": "x"}},
                                    auth=token.auth, timeout=30)
        assert response.status_code == 403, (method, path)


def test_other_workspace_admin_gets_404(make_workspace):
    ws = make_workspace()
    other = make_workspace()
    space = create_space(ws)["token"]
    group = ws.create_group(unique("g"))["token"]
    permission = granted(ws, space, "UserGroup", group)["token"]
    other_group = other.create_group(unique("g"))["token"]
    grant_body = {"permission": {"action": "view", "accessor_type": "UserGroup",
                                 "accessor_token": other_group}}
    calls = [
        ("GET", "/spaces", None),
        ("POST", "/spaces", {"space": {"name": "intruder"}}),
        ("GET", f"/spaces/{space}", None),
        ("PATCH", f"/spaces/{space}", {"space": {"name": "intruder"}}),
        ("POST", f"/spaces/{space}", {"space": {"name": "intruder"}}),
        ("DELETE", f"/spaces/{space}", None),
        ("GET", f"/spaces/{space}/permissions", None),
        ("POST", f"/spaces/{space}/permissions", grant_body),
        ("GET", f"/spaces/{space}/permissions/{permission}", None),
        ("PATCH", f"/spaces/{space}/permissions/{permission}", {"permission": {"action": "edit"}}),
        ("DELETE", f"/spaces/{space}/permissions/{permission}", None),
    ]

    for credentials in (other.token, other.admin_token):
        for method, path, body in calls:
            response = requests.request(method, ws.url(path), json=body, auth=credentials.auth,
                                        timeout=30)
            assert response.status_code == 404, (method, path)
            assert response.json()["message"] == "Membership not found for Workspace"

    # The space's token under the other workspace's own URL is unknown there.
    for method, path, body in calls[2:]:
        response = requests.request(method, other.url(path), json=body, auth=other.token.auth,
                                    timeout=30)
        assert response.status_code == 404, (method, path)
        assert response.json()["message"] == "Space not found"
    assert ws.get(f"/spaces/{space}").json()["name"] != "intruder"
    assert spaces_count(ws, group) == 1
    assert [p["token"] for p in permissions_of(ws, space)] == [permission]
    assert other.get(f"/groups/{other_group}").json()["spaces_count"] == 0


def run_together(calls, auth):
    """Sends each (method, path, body) at the same moment; returns the responses in order."""
    barrier = threading.Barrier(len(calls))
    responses = [None] * len(calls)

    def worker(index, method, url, body):
        barrier.wait(timeout=30)
        responses[index] = requests.request(method, url, json=body, auth=auth, timeout=60)

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return responses


def test_concurrent_grants_one_permission(workspace):
    ws = workspace
    space = create_space(ws)["token"]
    group = ws.create_group(unique("g"))["token"]
    calls = [("POST", ws.url(f"/spaces/{space}/permissions"),
              {"permission": {"action": ("view", "edit")[i % 2], "accessor_type": "UserGroup",
                              "accessor_token": group}}) for i in range(10)]
    responses = run_together(calls, ws.token.auth)
    assert [r.status_code for r in responses] == [200] * 10
    assert len({r.json()["token"] for r in responses}) == 1
    listed = permissions_of(ws, space)
    assert len(listed) == 1
    assert listed[0]["action"] in ("view", "edit")
    assert spaces_count(ws, group) == 1


def test_concurrent_space_delete_and_grants(workspace):
    """Grants racing a space's deletion leave each group's spaces_count equal to its grants."""
    ws = workspace
    groups = [ws.create_group(unique("g"))["token"] for _ in range(4)]
    kept_space = create_space(ws)["token"]
    for group in groups:
        granted(ws, kept_space, "UserGroup", group)
    for _ in range(5):
        space = create_space(ws)["token"]
        granted(ws, space, "UserGroup", groups[0])
        calls = [("DELETE", ws.url(f"/spaces/{space}"), None)]
        calls += [("POST", ws.url(f"/spaces/{space}/permissions"),
                   {"permission": {"action": "edit", "accessor_type": "UserGroup",
                                   "accessor_token": group}}) for group in groups]
        responses = run_together(calls, ws.token.auth)
        assert responses[0].status_code == 200
        # A grant that runs after the deletion finds no space.
        assert {r.status_code for r in responses[1:]} <= {200, 404}
        assert ws.get(f"/spaces/{space}").status_code == 404
        for group in groups:
            assert spaces_count(ws, group) == 1


def test_concurrent_group_delete_and_grants(workspace):
    """Grants racing their group's deletion leave no permission of the deleted group behind."""
    ws = workspace
    spaces = [create_space(ws)["token"] for _ in range(4)]
    for _ in range(5):
        group = ws.create_group(unique("g"))["token"]
        calls = [("DELETE", ws.url(f"/groups/{group}"), None)]
        calls += [("POST", ws.url(f"/spaces/{space}/permissions"),
                   {"permission": {"action": "view", "accessor_type": "UserGroup",
                                   "accessor_token": group}}) for space in spaces]
        responses = run_together(calls, ws.token.auth)
        assert responses[0].status_code == 200
        # A grant that runs after the deletion finds no such group.
        assert {r.status_code for r in responses[1:]} <= {200, 400}
        for space in spaces:
            assert [p for p in permissions_of(ws, space) if p["accessor_token"] == group] == []
