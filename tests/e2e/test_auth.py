"""Accounts and authentication end to end: Basic credentials, token scopes and revocation,
workspace isolation, /api/verify, /api/{account}, /healthz and the account commands of the
`roster` command-line tool."""

import base64
import subprocess
import uuid

import pytest
import requests

from conftest import ROSTER_BIN, RosterServer, Workspace, new_database, unique

CHALLENGE = 'Basic realm="Roster"'
WORKSPACE_NOT_FOUND = "Membership not found for Workspace"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server that does not throttle failed authentications: this module sends many on
    purpose, all from 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("roster_auth")
    instance = RosterServer(new_database(tmp), str(tmp / "server.log"),
                            extra_args=("--auth-failure-limit", "100000/1"))
    yield instance
    instance.stop()


def assert_error(response, status, error_id):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/hal+json"
    body = response.json()
    assert set(body) == {"id", "message"}, body
    assert body["id"] == error_id, body
    return body


def assert_unauthorized(response):
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def basic(text):
    return "Basic " + base64.b64encode(text.encode()).decode()


def get(server, path, auth=None, headers=None):
    return requests.get(server.url(path), auth=auth, headers=headers or {}, timeout=30)


def group_requests(ws, group_token):
    """Returns (method, path, body) for every group endpoint of `ws`."""
    return [
        ("GET", "/groups", None),
        ("POST", "/groups", {"user_group": {"name": unique("Attempt ")}}),
        ("GET", f"/groups/{group_token}", None),
        ("PATCH", f"/groups/{group_token}", {"user_group": {"description": "changed"}}),
        ("DELETE", f"/groups/{group_token}", None),
    ]


def send(server, credentials, method, path, body=None):
    return requests.request(method, server.url(path), auth=credentials.auth, json=body,
                            timeout=30)


# --- /api/verify ---


def test_verify_workspace_token(workspace, server):
    response = get(server, "/api/verify", workspace.token.auth)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/hal+json"
    assert response.json() == {"workspace": workspace.slug,
                               "workspace_token": workspace.account["token"],
                               "api_key_scope": "workspace"}


def test_verify_member_token(workspace, server):
    response = get(server, "/api/verify", workspace.admin_token.auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"username": workspace.admin_name,
                               "user_token": workspace.admin["token"],
                               "api_key_scope": "member"}


def test_verify_needs_no_workspace_admin_rights(server):
    free = Workspace(server, unique("free"), plan="free")
    assert get(server, "/api/verify", free.token.auth).status_code == 200

    loner = unique("loner_")
    user = server.cli.user(loner)
    credentials = server.cli.user_token(loner)
    response = get(server, "/api/verify", credentials.auth)
    assert response.status_code == 200, response.text
    assert response.json()["user_token"] == user["token"]


def test_verify_accepts_lowercase_scheme(workspace, server):
    header = "basic " + base64.b64encode(
        f"{workspace.token.token}:{workspace.token.secret}".encode()).decode()
    response = get(server, "/api/verify", headers={"Authorization": header})
    assert response.status_code == 200, response.text


# --- rejected credentials ---


def test_missing_credentials_get_401(workspace, server):
    for path in ("/api/verify", f"/api/{workspace.slug}", f"/api/{workspace.slug}/groups",
                 f"/api/{workspace.admin_name}"):
        assert_unauthorized(get(server, path))


def test_wrong_secret_gets_401(workspace, server):
    token = workspace.token.token
    for secret in ("wrong", "", workspace.token.secret + "x", workspace.token.secret[:-1],
                   workspace.token.secret.upper(), workspace.admin_token.secret):
        assert_unauthorized(get(server, "/api/verify", (token, secret)))
        assert_unauthorized(get(server, f"/api/{workspace.slug}/groups", (token, secret)))
    # The right secret still works afterwards.
    assert get(server, "/api/verify", workspace.token.auth).status_code == 200


def test_unknown_token_gets_401(workspace, server):
    secret = workspace.token.secret
    for token in (uuid.uuid4().hex[:12], workspace.token.token.upper(), "short",
                  workspace.token.token + "a", workspace.account["token"],
                  workspace.admin["token"], "../../etc/pa"):
        assert_unauthorized(get(server, "/api/verify", (token, secret)))


def malformed_authorizations(token, secret):
    return [
        f"Bearer {token}",
        "Basic",
        "Basic ",
        "Basic !!!!",
        "Basic " + base64.b64encode(f"{token}:{secret}".encode()).decode().rstrip("=") + "$",
        basic(f"{token}{secret}"),
        basic(f"{token}:"),
        basic(f":{secret}"),
        basic(f" {token}:{secret}"),
        basic(f"{token}:{secret} "),
        "Digest " + base64.b64encode(f"{token}:{secret}".encode()).decode(),
        f"{token}:{secret}",
        "Basic " + "A" * 5000,
    ]


def test_malformed_authorization_gets_401(workspace, server):
    for header in malformed_authorizations(workspace.token.token, workspace.token.secret):
        response = get(server, f"/api/{workspace.slug}/groups", headers={"Authorization": header})
        assert_unauthorized(response)


def test_revoked_token_gets_401(server):
    ws = Workspace(server, unique("rev"))
    spare = server.cli.workspace_token(ws.slug)
    group = ws.create_group(unique("Before revoke "))
    assert get(server, "/api/verify", spare.auth).status_code == 200

    printed = server.cli.json("token", "revoke", spare.token)
    assert printed == {"token": spare.token, "revoked": True}
    assert_unauthorized(get(server, "/api/verify", spare.auth))
    for method, path, body in group_requests(ws, group["token"]):
        assert_unauthorized(send(server, spare, method, f"/api/{ws.slug}{path}", body))

    # Revoking one token leaves the workspace's other token working.
    assert ws.get(f"/groups/{group['token']}").status_code == 200

    member_token = server.cli.user_token(ws.admin_name)
    server.cli.json("token", "revoke", member_token.token)
    assert_unauthorized(get(server, "/api/verify", member_token.auth))
    assert get(server, "/api/verify", ws.admin_token.auth).status_code == 200


# --- workspace roles and isolation ---


def test_non_admin_member_gets_403_everywhere(workspace, server):
    name = unique("viewer_")
    workspace.add_user(name)
    viewer = server.cli.user_token(name)
    group = workspace.create_group(unique("Guarded "))
    for method, path, body in group_requests(workspace, group["token"]):
        response = send(server, viewer, method, f"/api/{workspace.slug}{path}", body)
        assert_error(response, 403, "forbidden")
    assert workspace.get(f"/groups/{group['token']}").json() == group


def test_free_plan_admin_gets_403(server):
    free = Workspace(server, unique("free"), plan="free")
    for credentials in (free.token, free.admin_token):
        for method, path, body in group_requests(free, uuid.uuid4().hex[:12]):
            response = send(server, credentials, method, f"/api/{free.slug}{path}", body)
            assert_error(response, 403, "forbidden")


def test_deactivated_member_gets_404(server):
    ws = Workspace(server, unique("deact"))
    group = ws.create_group(unique("Kept "))
    name = unique("leaver_")
    ws.add_user(name, admin=True)
    leaver = server.cli.user_token(name)
    assert send(server, leaver, "GET", f"/api/{ws.slug}/groups").status_code == 200

    printed = server.cli.json("member", "deactivate", ws.slug, name)
    assert printed["state"] == "deactivated"
    nows = unique("nows")
    for method, path, body in group_requests(ws, group["token"]):
        response = send(server, leaver, method, f"/api/{ws.slug}{path}", body)
        unknown = send(server, leaver, method, f"/api/{nows}{path}", body)
        body_json = assert_error(response, 404, "not_found")
        assert body_json["message"] == WORKSPACE_NOT_FOUND
        assert response.content == unknown.content, (method, path)
    # The token itself is still valid, and the workspace is no longer visible to its owner.
    assert get(server, "/api/verify", leaver.auth).status_code == 200
    assert_error(get(server, f"/api/{ws.slug}", leaver.auth), 404, "not_found")
    assert ws.get(f"/groups/{group['token']}").json() == group

    # Adding the user again reactivates the membership.
    server.cli.member(ws.slug, name, admin=True)
    assert send(server, leaver, "GET", f"/api/{ws.slug}/groups").status_code == 200


def test_workspace_token_acts_only_in_its_workspace(server):
    a = Workspace(server, unique("wsa"))
    b = Workspace(server, unique("wsb"))
    group = a.create_group(unique("Private "))
    nows = unique("nows")
    for method, path, body in group_requests(a, group["token"]):
        foreign = send(server, b.token, method, f"/api/{a.slug}{path}", body)
        unknown = send(server, b.token, method, f"/api/{nows}{path}", body)
        assert_error(foreign, 404, "not_found")
        assert foreign.content == unknown.content, (method, path)
    assert a.get(f"/groups/{group['token']}").json() == group


def test_member_token_in_admin_workspaces(server):
    name = unique("multi_")
    server.cli.user(name, f"{name}@example.com")
    credentials = server.cli.user_token(name)
    admin_of = [Workspace(server, unique("adm")) for _ in range(2)]
    viewer_of = Workspace(server, unique("view"))
    left = Workspace(server, unique("left"))
    stranger_to = Workspace(server, unique("strange"))
    for ws in admin_of:
        server.cli.member(ws.slug, name, admin=True)
    server.cli.member(viewer_of.slug, name, admin=False)
    server.cli.member(left.slug, name, admin=True)
    server.cli.json("member", "deactivate", left.slug, name)

    for ws in admin_of:
        created = send(server, credentials, "POST", f"/api/{ws.slug}/groups",
                       {"user_group": {"name": unique("Mine ")}})
        assert created.status_code == 200, created.text
        assert created.json()["_links"]["creator"]["href"] == f"/api/{name}"
        listed = send(server, credentials, "GET", f"/api/{ws.slug}/groups")
        assert listed.status_code == 200
        assert [g["token"] for g in listed.json()["_embedded"]["groups"]] == [
            created.json()["token"]]

    assert_error(send(server, credentials, "GET", f"/api/{viewer_of.slug}/groups"), 403,
                 "forbidden")
    unknown = send(server, credentials, "GET", f"/api/{unique('nows')}/groups")
    for ws in (left, stranger_to):
        response = send(server, credentials, "GET", f"/api/{ws.slug}/groups")
        assert_error(response, 404, "not_found")
        assert response.content == unknown.content


# --- /api/{account} ---


@pytest.fixture(scope="module")
def accounts(server):
    """Creates workspace A with its admin and a member `mate`, and workspace B, whose admin
    shares no workspace with A's users. It also creates a free workspace of which `mate` is a
    member."""
    a = Workspace(server, unique("acct"))
    b = Workspace(server, unique("other"))
    free = Workspace(server, unique("freeacct"), plan="free")
    mate_name = unique("mate_")
    mate = a.add_user(mate_name)
    server.cli.member(free.slug, mate_name)
    return {"a": a, "b": b, "free": free, "mate": mate, "mate_name": mate_name,
            "mate_token": server.cli.user_token(mate_name)}


def test_account_user_visible_to_peers(accounts, server):
    a, mate = accounts["a"], accounts["mate"]
    expected = {"username": accounts["mate_name"], "name": accounts["mate_name"],
                "email": f"{accounts['mate_name']}@example.com", "token": mate["token"],
                "user": True}
    for credentials in (a.admin_token, a.token, accounts["mate_token"]):
        response = get(server, f"/api/{accounts['mate_name']}", credentials.auth)
        assert response.status_code == 200, response.text
        body = response.json()
        assert {key: body[key] for key in expected} == expected
        assert "plan_code" not in body
        assert body["_links"]["self"] == {"href": f"/api/{accounts['mate_name']}",
                                          "templated": False}


def test_account_user_hidden_from_others(accounts, server):
    b = accounts["b"]
    for credentials in (b.token, b.admin_token):
        hidden = get(server, f"/api/{accounts['mate_name']}", credentials.auth)
        unknown = get(server, f"/api/{unique('nobody_')}", credentials.auth)
        assert_error(hidden, 404, "not_found")
        assert hidden.content == unknown.content


def test_account_workspace_visible_to_members(accounts, server):
    a, free = accounts["a"], accounts["free"]
    for ws, plan in ((a, "business"), (free, "free")):
        expected = {"username": ws.slug, "name": ws.slug, "token": ws.account["token"],
                    "plan_code": plan, "user": False}
        for credentials in (ws.token, ws.admin_token, accounts["mate_token"]):
            response = get(server, f"/api/{ws.slug}", credentials.auth)
            assert response.status_code == 200, response.text
            body = response.json()
            assert {key: body[key] for key in expected} == expected
            assert "email" not in body


def test_account_workspace_hidden_from_non_members(accounts, server):
    a, b = accounts["a"], accounts["b"]
    for credentials in (b.token, b.admin_token):
        hidden = get(server, f"/api/{a.slug}", credentials.auth)
        unknown = get(server, f"/api/{unique('nows')}", credentials.auth)
        assert_error(hidden, 404, "not_found")
        assert hidden.content == unknown.content


def test_account_of_self_is_visible(accounts, server):
    a = accounts["a"]
    response = get(server, f"/api/{a.admin_name}", a.admin_token.auth)
    assert response.status_code == 200
    assert response.json()["token"] == a.admin["token"]

    loner = unique("alone_")
    server.cli.user(loner)
    credentials = server.cli.user_token(loner)
    assert get(server, f"/api/{loner}", credentials.auth).status_code == 200
    assert_error(get(server, f"/api/{a.admin_name}", credentials.auth), 404, "not_found")


# --- /healthz ---


def test_healthz_needs_no_credentials(server):
    response = get(server, "/healthz")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/hal+json"
    assert response.json() == {"status": "ok"}
    assert "WWW-Authenticate" not in response.headers


# --- the command-line tool ---


def run_cli(server, *args):
    return subprocess.run([ROSTER_BIN, "--db", server.db, *args], capture_output=True,
                          text=True, timeout=60)


def assert_cli_fails(server, *args):
    result = run_cli(server, *args)
    assert result.returncode != 0, (args, result.stdout)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, (args, result.stderr)
    assert lines[0].startswith("roster: "), (args, result.stderr)
    assert result.stdout == "", (args, result.stdout)
    return lines[0]


def test_cli_rejects_unknown_workspace_and_user(workspace, server):
    nows = unique("nows")
    nouser = unique("nouser_")
    member = unique("cli_member_")
    workspace.add_user(member)
    for args in (("member", "add", nows, member),
                 ("member", "add", workspace.slug, nouser),
                 ("member", "add", workspace.slug, workspace.slug),
                 ("member", "add", member, member),
                 ("member", "deactivate", nows, member),
                 ("member", "deactivate", workspace.slug, nouser),
                 ("token", "create", "--workspace", nows),
                 ("token", "create", "--workspace", member),
                 ("token", "create", "--user", nouser),
                 ("token", "create", "--user", workspace.slug),
                 ("token", "revoke", uuid.uuid4().hex[:12]),
                 ("group", "create", nows, "Name"),
                 ("data-source", "add", nows, "Warehouse")):
        assert_cli_fails(server, *args)


def test_cli_deactivate_non_member_fails(workspace, server):
    outsider = unique("outsider_")
    server.cli.user(outsider)
    message = assert_cli_fails(server, "member", "deactivate", workspace.slug, outsider)
    assert outsider in message


def test_cli_rejects_duplicate_username(workspace, server):
    taken_user = unique("taken_")
    server.cli.user(taken_user)
    for args in (("user", "create", taken_user),
                 ("user", "create", workspace.slug),
                 ("workspace", "create", taken_user),
                 ("workspace", "create", workspace.slug)):
        message = assert_cli_fails(server, *args)
        assert args[2] in message
    # The first account is unchanged.
    response = get(server, f"/api/{workspace.slug}", workspace.token.auth)
    assert response.json()["plan_code"] == "business"


@pytest.mark.parametrize("username", [
    "Acme", "1acme", "_acme", "ac-me", "ac me", "acmé", "a" * 65, "", "verify", "healthz",
])
def test_cli_rejects_invalid_username(server, username):
    assert_cli_fails(server, "workspace", "create", username)
    assert_cli_fails(server, "user", "create", username)


def test_cli_accepts_longest_username(server):
    username = "u" + uuid.uuid4().hex[:10] + "_" * 53
    assert len(username) == 64
    printed = server.cli.user(username)
    assert printed["username"] == username
    assert len(printed["token"]) == 12


def test_cli_token_create_needs_exactly_one_owner(workspace, server):
    assert_cli_fails(server, "token", "create")
    assert_cli_fails(server, "token", "create", "--workspace", workspace.slug,
                     "--user", workspace.admin_name)


def test_cli_rejects_unknown_plan_and_bad_group(workspace, server):
    assert_cli_fails(server, "workspace", "create", unique("plan"), "--plan", "gold")
    assert_cli_fails(server, "group", "create", workspace.slug, "bad\u0007name")
    assert_cli_fails(server, "group", "create", workspace.slug, "   ")
    name = unique("Twice ")
    server.cli.json("group", "create", workspace.slug, name)
    assert_cli_fails(server, "group", "create", workspace.slug, name.upper())


def test_cli_create_prints_token(server):
    slug = unique("printed")
    printed = server.cli.workspace(slug, "free")
    assert printed["username"] == slug
    assert printed["plan"] == "free"
    assert len(printed["token"]) == 12
    token = server.cli.workspace_token(slug)
    assert len(token.token) == 12
    assert token.secret
    assert get(server, "/api/verify", token.auth).json()["workspace"] == slug
