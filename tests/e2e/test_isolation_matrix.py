"""Every endpoint, sent with valid bodies by every kind of caller: only an active admin of the
Business-plan workspace gets 200, every other caller gets its exact error status, and nothing
in the workspace changes for any of them."""

import pytest
import requests

from conftest import Credentials, RosterServer, Workspace, new_database, unique

# The status each caller must get; the admin's 200 is checked separately.
CALLER_STATUS = {
    "no credentials": 401,
    "wrong secret": 401,
    "revoked token": 401,
    "admin of another workspace": 404,
    "non-admin member": 403,
    "admin of a free-plan workspace": 403,
    "deactivated member": 404,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server that does not throttle failed authentications: this module sends many on
    purpose, all from 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("roster_matrix")
    instance = RosterServer(new_database(tmp), str(tmp / "server.log"),
                            extra_args=("--auth-failure-limit", "100000/1"))
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def callers(server):
    """Maps each caller name to (workspace slug to address, credentials or None)."""
    home = Workspace(server, unique("home"))
    other = Workspace(server, unique("other"))
    free = Workspace(server, unique("free"), plan="free")
    cli = server.cli
    plain = home.add_user(unique("plain"))
    plain_token = cli.user_token(plain["username"])
    gone = home.add_user(unique("gone"), admin=True)
    gone_token = cli.user_token(gone["username"])
    cli.json("member", "deactivate", home.slug, gone["username"])
    revoked = cli.workspace_token(home.slug)
    cli.json("token", "revoke", revoked.token)
    return home, {
        "no credentials": (home.slug, None),
        "wrong secret": (home.slug, Credentials(home.token.token, home.token.secret + "x")),
        "revoked token": (home.slug, revoked),
        "admin of another workspace": (home.slug, other.admin_token),
        "non-admin member": (home.slug, plain_token),
        "admin of a free-plan workspace": (free.slug, free.token),
        "deactivated member": (home.slug, gone_token),
    }


def make_world(home):
    """Creates one of each object in `home` and returns their tokens."""
    cli = home.server.cli
    member = home.add_user(unique("m"))
    group = home.create_group(unique("Group "))["token"]
    membership = home.post(f"/groups/{group}/memberships",
                           {"membership": {"member_token": member["token"]}}).json()["token"]
    space = home.post("/spaces", {"space": {"name": unique("Space ")}}).json()["token"]
    space_permission = home.post(f"/spaces/{space}/permissions", {"permission": {
        "action": "view", "accessor_type": "UserGroup", "accessor_token": group}}).json()["token"]
    source = cli.json("data-source", "add", home.slug, unique("Source "))["token"]
    source_permission = home.post(f"/data_sources/{source}/permissions", {"permission": {
        "action": "query", "accessor_type": "UserGroup",
        "accessor_token": group}}).json()["token"]
    extra = home.add_user(unique("e"))
    return dict(member=member, group=group, membership=membership, space=space,
                space_permission=space_permission, source=source,
                source_permission=source_permission, extra=extra)


def endpoints(w):
    """(method, path under /api/{ws}, body) for every workspace endpoint."""
    g, s, d = w["group"], w["space"], w["source"]
    grant = {"permission": {"action": "edit", "accessor_type": "Account",
                            "accessor_token": w["extra"]["token"]}}
    return [
        ("GET", "/groups", None),
        ("POST", "/groups", {"user_group": {"name": unique("New ")}}),
        ("GET", f"/groups/{g}", None),
        ("PATCH", f"/groups/{g}", {"user_group": {"name": unique("Renamed ")}}),
        ("DELETE", f"/groups/{g}", None),
        ("GET", f"/groups/{g}/memberships", None),
        ("POST", f"/groups/{g}/memberships", {"membership": {"member_token": w["extra"]["token"]}}),
        ("GET", f"/groups/{g}/memberships/{w['membership']}", None),
        ("DELETE", f"/groups/{g}/memberships/{w['membership']}", None),
        ("GET", "/memberships", None),
        ("GET", "/memberships/lite", None),
        ("GET", f"/memberships/{w['member']['username']}", None),
        ("DELETE", f"/memberships/{w['member']['username']}", None),
        ("GET", "/spaces", None),
        ("POST", "/spaces", {"space": {"name": unique("New space ")}}),
        ("GET", f"/spaces/{s}", None),
        ("PATCH", f"/spaces/{s}", {"space": {"description": "changed"}}),
        ("POST", f"/spaces/{s}", {"space": {"description": "changed by POST"}}),
        ("DELETE", f"/spaces/{s}", None),
        ("GET", f"/spaces/{s}/permissions", None),
        ("POST", f"/spaces/{s}/permissions", grant),
        ("GET", f"/spaces/{s}/permissions/{w['space_permission']}", None),
        ("PATCH", f"/spaces/{s}/permissions/{w['space_permission']}",
         {"permission": {"action": "edit"}}),
        ("DELETE", f"/spaces/{s}/permissions/{w['space_permission']}", None),
        ("GET", "/data_sources", None),
        ("GET", f"/data_sources/{d}", None),
        ("GET", f"/data_sources/{d}/permissions", None),
        ("POST", f"/data_sources/{d}/permissions",
         {"permission": {**grant["permission"], "action": "view"}}),
        ("GET", f"/data_sources/{d}/permissions/{w['source_permission']}", None),
        ("PATCH", f"/data_sources/{d}/permissions/{w['source_permission']}",
         {"permission": {"action": "manage"}}),
        ("DELETE", f"/data_sources/{d}/permissions/{w['source_permission']}", None),
    ]


def snapshot(home, world):
    """Everything a request could change, as the admin reads it."""
    group, space, source = world["group"], world["space"], world["source"]
    paths = ["/groups", f"/groups/{group}/memberships", "/memberships", "/spaces",
             f"/spaces/{space}/permissions", "/data_sources",
             f"/data_sources/{source}/permissions"]
    return {path: home.get(path).json() for path in paths}


def send(server, slug, method, path, body, credentials):
    return requests.request(method, server.url(f"/api/{slug}{path}"), json=body,
                            auth=credentials.auth if credentials else None,
                            headers={"Accept": "application/hal+json"}, timeout=30)


ENDPOINT_COUNT = 31


@pytest.mark.parametrize("index", range(ENDPOINT_COUNT))
def test_only_admin_reaches_endpoint(server, callers, index):
    home, by_caller = callers
    world = make_world(home)
    method, path, body = endpoints(world)[index]
    before = snapshot(home, world)
    for caller, (slug, credentials) in by_caller.items():
        response = send(server, slug, method, path, body, credentials)
        assert response.status_code == CALLER_STATUS[caller], (caller, method, path,
                                                                response.text)
        assert response.json()["id"] in {"unauthorized", "not_found", "forbidden"}
        assert snapshot(home, world) == before, (caller, method, path)
    admin = send(server, home.slug, method, path, body, home.token)
    assert admin.status_code == 200, (method, path, admin.text)


def test_matrix_covers_every_endpoint(callers):
    home, _ = callers
    assert len(endpoints(make_world(home))) == ENDPOINT_COUNT
