"""The server starts, serves /healthz and serves the group list to a workspace token."""

import requests


def test_healthz_answers_ok_without_credentials(server):
    response = requests.get(server.url("/healthz"), timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Content-Type"] == "application/hal+json"


def test_group_list_of_new_workspace_is_empty(workspace):
    response = workspace.get("/groups")
    assert response.status_code == 200
    assert response.json()["_embedded"] == {"groups": []}
