"""Data sources (registered with the CLI), their permissions and data_sources_count."""

import re

import pytest
import requests

from conftest import unique

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TOKEN = re.compile(r"^[a-z0-9]{12}$")


def add_source(ws, name=None, *args):
    return ws.server.cli.json("data-source", "add", ws.slug, name or unique("db"), *args)


def grant(ws, source_token, accessor_type, accessor_token, action="view"):
    return ws.post(f"/data_sources/{source_token}/permissions",
                   {"permission": {"action": action, "accessor_type": accessor_type,
                                   "accessor_token": accessor_token}})


def granted(ws, source_token, accessor_type, accessor_token, action="view"):
    response = grant(ws, source_token, accessor_type, accessor_token, action)
    assert response.status_code == 200, response.text
    return response.json()


def entitlements(ws, source_token):
    response = ws.get(f"/data_sources/{source_token}/permissions")
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["data_source_entitlements"]


def counts(ws, group_token):
    response = ws.get(f"/groups/{group_token}")
    assert response.status_code == 200, response.text
    group = response.json()
    return group["spaces_count"], group["data_sources_count"]


def test_cli_add_prints_json(workspace):
    out = add_source(workspace, "Warehouse")
    assert TOKEN.match(out["token"])
    assert out["name"] == "Warehouse"
    assert out["adapter"] == "postgres"
    out = add_source(workspace, "Snow", "--adapter", "snowflake")
    assert out["adapter"] == "snowflake"


def test_cli_add_unknown_workspace_fails(workspace):
    result = workspace.server.cli.run("data-source", "add", "nosuchworkspace0", "db", check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_source_fields_and_links(workspace):
    ws = workspace
    out = add_source(ws, "Lake", "--adapter", "bigquery", "--description", "Raw events")
    token = out["token"]
    response = ws.get(f"/data_sources/{token}")
    assert response.status_code == 200
    source = response.json()
    assert source["token"] == token
    assert source["name"] == "Lake"
    assert source["description"] == "Raw events"
    assert source["adapter"] == "bigquery"
    assert TIMESTAMP.match(source["created_at"])
    assert source["_embedded"] == {}
    assert source["_links"] == {
        "self": {"href": f"/api/{ws.slug}/data_sources/{token}", "templated": False},
        "permissions": {"href": f"/api/{ws.slug}/data_sources/{token}/permissions",
                        "templated": False},
        "web": {"href": f"/organizations/{ws.slug}/data_sources/{token}", "templated": False},
    }


def test_source_list_oldest_first_and_paged(make_workspace):
    ws = make_workspace()
    assert ws.get("/data_sources").json() == {
        "_links": {"self": {"href": f"/api/{ws.slug}/data_sources", "templated": False}},
        "_embedded": {"data_sources": []}}
    tokens = [add_source(ws)["token"] for _ in range(3)]
    body = ws.get("/data_sources").json()
    assert [s["token"] for s in body["_embedded"]["data_sources"]] == tokens
    assert "pagination" not in body
    page = ws.get("/data_sources?page=2&per_page=2").json()
    assert [s["token"] for s in page["_embedded"]["data_sources"]] == tokens[2:]
    assert page["pagination"]["total_count"] == 3
    assert "next_page" not in page["_links"]
    assert ws.get("/data_sources?per_page=1001").status_code == 400


def test_source_not_created_over_http(workspace):
    response = workspace.post("/data_sources", {"data_source": {"name": "x"}})
    assert response.status_code == 405
    assert response.json()["id"] == "method_not_allowed"
    assert workspace.get("/data_sources/zzzzzzzzzzzz").status_code == 404


@pytest.mark.parametrize("action", ["manage", "view", "query"])
def test_permission_actions(workspace, action):
    ws = workspace
    source = add_source(ws)["token"]
    group = ws.create_group(unique("g"))["token"]
    permission = granted(ws, source, "UserGroup", group, action)
    base = f"/api/{ws.slug}/data_sources/{source}"
    assert permission["action"] == action
    assert permission["accessor_type"] == "UserGroup"
    assert permission["accessor_token"] == group
    assert permission["_links"] == {
        "self": {"href": f"{base}/permissions/{permission['token']}", "templated": False},
        "data_source": {"href": base, "templated": False},
        "accessor": {"href": f"/api/{ws.slug}/groups/{group}", "templated": False},
    }
    assert counts(ws, group) == (0, 1)


def test_permission_list_key_and_account(workspace):
    ws = workspace
    source = add_source(ws)["token"]
    user = ws.add_user(unique("u"))
    group = ws.create_group(unique("g"))["token"]
    account = granted(ws, source, "Account", user["token"], "query")
    by_group = granted(ws, source, "UserGroup", group, "manage")
    assert account["_links"]["accessor"]["href"] == f"/api/{user['username']}"
    response = ws.get(f"/data_sources/{source}/permissions")
    assert response.status_code == 200
    body = response.json()
    assert body["_links"]["self"]["href"] == f"/api/{ws.slug}/data_sources/{source}/permissions"
    assert body["_embedded"] == {"data_source_entitlements": [account, by_group]}
    paged = ws.get(f"/data_sources/{source}/permissions?page=1&per_page=1").json()
    assert paged["_embedded"]["data_source_entitlements"] == [account]
    assert paged["pagination"]["total_count"] == 2


def test_second_grant_updates_action(workspace):
    ws = workspace
    source = add_source(ws)["token"]
    group = ws.create_group(unique("g"))["token"]
    first = granted(ws, source, "UserGroup", group, "view")
    second = granted(ws, source, "UserGroup", group, "manage")
    assert second["token"] == first["token"]
    assert second["action"] == "manage"
    assert len(entitlements(ws, source)) == 1
    assert counts(ws, group) == (0, 1)


@pytest.mark.parametrize("action", ["edit", "admin", "", "Manage"])
def test_invalid_action_rejected(workspace, action):
    ws = workspace
    source = add_source(ws)["token"]
    group = ws.create_group(unique("g"))["token"]
    response = grant(ws, source, "UserGroup", group, action)
    assert response.status_code == 400
    assert response.json()["id"] == "bad_request"
    assert response.json()["field"] == "permission.action"
    assert entitlements(ws, source) == []

    permission = granted(ws, source, "UserGroup", group, "view")
    path = f"/data_sources/{source}/permissions/{permission['token']}"
    response = ws.patch(path, {"permission": {"action": action}})
    assert response.status_code == 400
    assert response.json()["field"] == "permission.action"
    assert ws.get(path).json()["action"] == "view"


def test_invalid_accessor_type_rejected(workspace):
    ws = workspace
    source = add_source(ws)["token"]
    group = ws.create_group(unique("g"))["token"]
    response = grant(ws, source, "Group", group)
    assert response.status_code == 400
    assert response.json()["field"] == "permission.accessor_type"


def test_foreign_accessor_looks_unknown(make_workspace):
    ws = make_workspace()
    other = make_workspace()
    source = add_source(ws)["token"]
    foreign_group = other.create_group(unique("g"))["token"]
    foreign_user = other.add_user(unique("s"))
    unknown_group = grant(ws, source, "UserGroup", "zzzzzzzzzzzz")
    unknown_user = grant(ws, source, "Account", "zzzzzzzzzzzz")
    assert unknown_group.status_code == 400
    assert grant(ws, source, "UserGroup", foreign_group).content == unknown_group.content
    assert grant(ws, source, "Account", foreign_user["token"]).content == unknown_user.content
    assert counts(other, foreign_group) == (0, 0)


def test_permission_patch_get_delete(workspace):
    ws = workspace
    source = add_source(ws)["token"]
    group = ws.create_group(unique("g"))["token"]
    permission = granted(ws, source, "UserGroup", group, "query")
    path = f"/data_sources/{source}/permissions/{permission['token']}"
    assert ws.get(path).json() == permission

    response = ws.patch(path, {"permission": {"action": "manage"}})
    assert response.status_code == 200
    assert response.json() == {**permission, "action": "manage"}
    assert counts(ws, group) == (0, 1)

    response = ws.delete(path)
    assert response.status_code == 200
    assert response.json()["token"] == permission["token"]
    assert response.json()["action"] == "manage"
    assert ws.get(path).status_code == 404
    assert ws.delete(path).status_code == 404
    assert counts(ws, group) == (0, 0)


def test_space_and_source_permissions_count_apart(workspace):
    ws = workspace
    source = add_source(ws)["token"]
    space = ws.post("/spaces", {"space": {"name": unique("s")}}).json()["token"]
    group = ws.create_group(unique("g"))["token"]
    granted(ws, source, "UserGroup", group)
    ws.post(f"/spaces/{space}/permissions", {"permission": {
        "action": "view", "accessor_type": "UserGroup", "accessor_token": group}})
    assert counts(ws, group) == (1, 1)
    # A space permission's token does not address a data source permission.
    space_permission = ws.get(f"/spaces/{space}/permissions").json()[
        "_embedded"]["space_permissions"][0]["token"]
    assert ws.get(f"/data_sources/{source}/permissions/{space_permission}").status_code == 404


def test_cli_remove_cascades(make_workspace):
    ws = make_workspace()
    source = add_source(ws)["token"]
    kept_source = add_source(ws)["token"]
    groups = [ws.create_group(unique("g"))["token"] for _ in range(2)]
    user = ws.add_user(unique("u"))
    for group in groups:
        granted(ws, source, "UserGroup", group)
    granted(ws, kept_source, "UserGroup", groups[0])
    granted(ws, source, "Account", user["token"])
    ws.post(f"/groups/{groups[0]}/memberships", {"membership": {"member_token": user["token"]}})
    query = f"/groups?member={user['username']}&data_source={source}"
    assert [g["token"] for g in ws.get(query).json()["_embedded"]["groups"]] == [groups[0]]

    out = ws.server.cli.json("data-source", "remove", ws.slug, source)
    assert out == {"token": source, "removed": True}

    assert ws.get(f"/data_sources/{source}").status_code == 404
    assert ws.get(f"/data_sources/{source}/permissions").status_code == 404
    assert counts(ws, groups[0]) == (0, 1)
    assert counts(ws, groups[1]) == (0, 0)
    assert len(entitlements(ws, kept_source)) == 1
    assert [s["token"] for s in ws.get("/data_sources").json()["_embedded"]["data_sources"]] == [
        kept_source]
    assert ws.get(query).json()["_embedded"]["groups"] == []

    again = ws.server.cli.run("data-source", "remove", ws.slug, source, check=False)
    assert again.returncode != 0
    assert len(again.stderr.strip().splitlines()) == 1


def test_cli_remove_wrong_workspace_fails(make_workspace):
    ws = make_workspace()
    other = make_workspace()
    source = add_source(ws)["token"]
    result = ws.server.cli.run("data-source", "remove", other.slug, source, check=False)
    assert result.returncode != 0
    assert ws.get(f"/data_sources/{source}").status_code == 200


def test_non_admin_member_forbidden(workspace):
    ws = workspace
    source = add_source(ws)["token"]
    user = ws.add_user(unique("u"))
    token = ws.server.cli.user_token(user["username"])
    for path in ("/data_sources", f"/data_sources/{source}",
                 f"/data_sources/{source}/permissions"):
        assert requests.get(ws.url(path), auth=token.auth, timeout=30).status_code == 403


def test_other_workspace_admin_gets_404(make_workspace):
    ws = make_workspace()
    other = make_workspace()
    source = add_source(ws)["token"]
    group = ws.create_group(unique("g"))["token"]
    permission = granted(ws, source, "UserGroup", group)["token"]
    body = {"permission": {"action": "manage", "accessor_type": "UserGroup",
                           "accessor_token": group}}
    calls = [
        ("GET", "/data_sources", None),
        ("GET", f"/data_sources/{source}", None),
        ("GET", f"/data_sources/{source}/permissions", None),
        ("POST", f"/data_sources/{source}/permissions", body),
        ("GET", f"/data_sources/{source}/permissions/{permission}", None),
        ("PATCH", f"/data_sources/{source}/permissions/{permission}",
         {"permission": {"action": "manage"}}),
        ("DELETE", f"/data_sources/{source}/permissions/{permission}", None),
    ]
    for credentials in (other.token, other.admin_token):
        for method, path, request_body in calls:
            response = requests.request(method, ws.url(path), json=request_body,
                                        auth=credentials.auth, timeout=30)
            assert response.status_code == 404, (method, path)
            assert response.json()["message"] == "Membership not found for Workspace"
    for method, path, request_body in calls[1:]:
        response = requests.request(method, other.url(path), json=request_body,
                                    auth=other.token.auth, timeout=30)
        assert response.status_code == 404, (method, path)
        assert response.json()["message"] == "Data source not found"
    assert ws.get(f"/data_sources/{source}/permissions/{permission}").json()["action"] == "view"
    assert counts(ws, group) == (0, 1)


@pytest.mark.parametrize("args", [[""], ["   "], ["a\u0007b"], ["x" * 256],
                                  ["ok", "--adapter", ""], ["ok", "--description", "a\u0001b"]])
def test_cli_add_invalid_values_fail(workspace, args):
    before = workspace.get("/data_sources").json()["_embedded"]["data_sources"]
    result = workspace.server.cli.run("data-source", "add", workspace.slug, *args, check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert workspace.get("/data_sources").json()["_embedded"]["data_sources"] == before


def test_cli_add_trims_name(workspace):
    out = add_source(workspace, "  Lake  ")
    assert out["name"] == "Lake"
    assert workspace.get(f"/data_sources/{out['token']}").json()["name"] == "Lake"
