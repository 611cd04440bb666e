"""The five curl examples of Mode's Groups API reference, run unchanged against Roster.

Only the host, the workspace and the group token are filled in, and `--user TOKEN:SECRET` is
added, because the examples leave authentication out."""

import json
import shlex
import subprocess

from conftest import unique

MODE_HOST = "https://app.mode.com"

GET_GROUP = r"""curl --include \
     --header "Content-Type: application/json" \
     --header "Accept: application/hal+json" \
  'https://app.mode.com/api/{workspace}/groups/{group_token}'"""

LIST_GROUPS = r"""curl --include \
     --header "Content-Type: application/json" \
     --header "Accept: application/hal+json" \
  'https://app.mode.com/api/{workspace}/groups'"""

CREATE_GROUP = r"""curl --include \
     --request POST \
     --header "Content-Type: application/json" \
     --header "Accept: application/hal+json" \
     --data-binary "{
  \"user_group\": {
    \"name\": \"enim nostrud d\"
  }
}" \
'https://app.mode.com/api/{workspace}/groups'"""

UPDATE_GROUP = r"""curl --include \
     --request PATCH \
     --header "Content-Type: application/json" \
     --header "Accept: application/hal+json" \
     --data-binary "{
  \"user_group\": {
    \"name\": \"cupidatat Duis\"
  }
}" \
'https://app.mode.com/api/{workspace}/groups/{group_token}'"""

DELETE_GROUP = r"""curl --include \
     --request DELETE \
     --header "Content-Type: application/json" \
     --header "Accept: application/hal+json" \
  'https://app.mode.com/api/{workspace}/groups/{group_token}'"""

LINK_NAMES = {"creator", "group_memberships", "membership_by_id", "memberships_preview", "self",
              "web"}
FIELD_TYPES = {"token": str, "group_type": str, "name": str, "description": str, "state": str,
               "member_count": int, "spaces_count": int, "data_sources_count": int,
               "managed": bool}


def run_example(command, ws, group_token=""):
    """Fills in an example, runs it with bash and returns (status, headers, JSON body)."""
    filled = (command.replace(MODE_HOST, ws.server.base_url)
              .replace("{workspace}", ws.slug)
              .replace("{group_token}", group_token))
    credentials = shlex.quote(f"{ws.token.token}:{ws.token.secret}")
    filled = filled.replace("curl ", f"curl --user {credentials} ", 1)
    result = subprocess.run(["bash", "-c", filled], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()

    head, _, body = result.stdout.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, json.loads(body)


def assert_group_shape(group, ws):
    assert set(group) == set(FIELD_TYPES) | {"created_at", "updated_at", "_links", "_embedded"}
    for field, expected_type in FIELD_TYPES.items():
        assert type(group[field]) is expected_type, field
    assert set(group["_links"]) == LINK_NAMES
    for link in group["_links"].values():
        assert set(link) == {"href", "templated"}
        assert link["href"].startswith("/")
    assert group["_links"]["self"]["href"] == f"/api/{ws.slug}/groups/{group['token']}"
    assert group["_embedded"] == {}


def test_reference_curl_examples(make_workspace):
    ws = make_workspace()
    ws.create_group(unique("Existing "))

    status, headers, created = run_example(CREATE_GROUP, ws)
    assert status == 200
    assert headers["content-type"] == "application/hal+json"
    assert_group_shape(created, ws)
    assert created["name"] == "enim nostrud d"
    assert created["state"] == "active"
    token = created["token"]

    status, headers, listing = run_example(LIST_GROUPS, ws)
    assert status == 200
    assert headers["content-type"] == "application/hal+json"
    assert listing["_links"]["self"]["href"] == f"/api/{ws.slug}/groups"
    groups = listing["_embedded"]["groups"]
    assert len(groups) == 2
    for group in groups:
        assert_group_shape(group, ws)
    assert groups[1] == created

    status, _, fetched = run_example(GET_GROUP, ws, token)
    assert status == 200
    assert fetched == created

    status, _, updated = run_example(UPDATE_GROUP, ws, token)
    assert status == 200
    assert_group_shape(updated, ws)
    assert updated["name"] == "cupidatat Duis"
    assert updated["token"] == token

    status, _, deleted = run_example(DELETE_GROUP, ws, token)
    assert status == 200
    assert_group_shape(deleted, ws)
    assert deleted["state"] == "soft_deleted"
    assert deleted["name"] == "cupidatat Duis"

    status, _, gone = run_example(GET_GROUP, ws, token)
    assert status == 404
    assert gone["id"] == "not_found"
