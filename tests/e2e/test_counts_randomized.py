"""A seeded random sequence of group, membership and permission changes on a small world.

After every step the counts (member_count, spaces_count, data_sources_count) of every group in
the group list must equal a Python model of the expected state, and so must every space
permission and data source entitlement list. The detail and membership list of each group
the step changed, plus one more group in rotation, must match too. Every FULL_CHECK_EVERY
steps, and after steps that change many groups at once, every group's detail and membership
list is checked. Reading all of them after every step would cost up to 16 more requests a
step.

ROSTER_RANDOM_OPS sets the number of operations and ROSTER_RANDOM_SEED the seed.
"""

import os
import random

import pytest

from conftest import unique

OPERATION_COUNT = int(os.environ.get("ROSTER_RANDOM_OPS", "2000"))
SEED = int(os.environ.get("ROSTER_RANDOM_SEED", "20260412"))
MAX_GROUPS = 8
USER_COUNT = 10
SPACE_COUNT = 3
SOURCE_COUNT = 2
SPACE_ACTIONS = ("view", "edit")
SOURCE_ACTIONS = ("manage", "view", "query")
FULL_CHECK_EVERY = 20


class Model:
    """The expected state: groups, their members and their permissions."""

    def __init__(self, users, spaces, sources):
        self.users = users                      # token -> {"username", "active"}
        self.spaces = spaces                    # list of space tokens
        self.sources = sources                  # list of data source tokens
        self.groups = {}                        # group token -> name
        self.memberships = {}                   # (group, user) -> membership token
        self.permissions = {}                   # (kind, target, accessor) -> [token, action]

    def members_of(self, group):
        return {user for (g, user) in self.memberships if g == group}

    def count(self, group, kind):
        return sum(1 for (k, _, accessor) in self.permissions if k == kind and accessor == group)

    def expected_counts(self, group):
        return (len(self.members_of(group)), self.count(group, "spaces"),
                self.count(group, "data_sources"))

    def drop_group(self, group):
        del self.groups[group]
        for key in [k for k in self.memberships if k[0] == group]:
            del self.memberships[key]
        for key in [k for k in self.permissions if k[2] == group]:
            del self.permissions[key]

    def drop_user_memberships(self, user):
        for key in [k for k in self.memberships if k[1] == user]:
            del self.memberships[key]


class Runner:
    def __init__(self, ws, model, rng):
        self.ws = ws
        self.model = model
        self.rng = rng
        self.step = 0
        self.operation = ""
        self.operation_counts = {}
        # Groups whose detail and membership list the next check reads; None means all.
        self.touched = set()

    def where(self):
        return f"step {self.step} ({self.operation}), seed {SEED}"

    def expect(self, response, status):
        assert response.status_code == status, f"{self.where()}: {response.text}"
        return response.json()

    # Operations. Each returns after updating the model to what the server should now hold.

    def create_group(self):
        name = unique("g")
        group = self.expect(self.ws.post("/groups", {"user_group": {"name": name}}), 200)
        assert (group["member_count"], group["spaces_count"], group["data_sources_count"]) == (
            0, 0, 0), self.where()
        self.model.groups[group["token"]] = name
        self.touched.add(group["token"])

    def delete_group(self):
        group = self.rng.choice(sorted(self.model.groups))
        body = self.expect(self.ws.delete(f"/groups/{group}"), 200)
        assert body["state"] == "soft_deleted", self.where()
        counts = (body["member_count"], body["spaces_count"], body["data_sources_count"])
        assert counts == self.model.expected_counts(group), self.where()
        self.model.drop_group(group)
        self.expect(self.ws.get(f"/groups/{group}"), 404)

    def add_member(self):
        group = self.rng.choice(sorted(self.model.groups))
        user = self.rng.choice(sorted(self.model.users))
        self.touched.add(group)
        response = self.ws.post(f"/groups/{group}/memberships",
                                {"membership": {"member_token": user}})
        if not self.model.users[user]["active"]:
            body = self.expect(response, 400)
            assert body["field"] == "membership.member_token", self.where()
            return
        body = self.expect(response, 200)
        assert body["member_token"] == user, self.where()
        known = self.model.memberships.get((group, user))
        if known:
            assert body["token"] == known, self.where()
        self.model.memberships[(group, user)] = body["token"]

    def remove_member(self):
        (group, user), token = self.rng.choice(sorted(self.model.memberships.items()))
        self.touched.add(group)
        body = self.expect(self.ws.delete(f"/groups/{group}/memberships/{token}"), 200)
        assert body["token"] == token, self.where()
        assert body["member_token"] == user, self.where()
        del self.model.memberships[(group, user)]
        self.expect(self.ws.get(f"/groups/{group}/memberships/{token}"), 404)

    def grant(self, kind):
        targets = self.model.spaces if kind == "spaces" else self.model.sources
        actions = SPACE_ACTIONS if kind == "spaces" else SOURCE_ACTIONS
        target = self.rng.choice(targets)
        action = self.rng.choice(actions)
        if self.rng.random() < 0.15:
            accessor_type, accessor = "Account", self.rng.choice(sorted(self.model.users))
        else:
            accessor_type, accessor = "UserGroup", self.rng.choice(sorted(self.model.groups))
            self.touched.add(accessor)
        response = self.ws.post(f"/{kind}/{target}/permissions", {"permission": {
            "action": action, "accessor_type": accessor_type, "accessor_token": accessor}})
        if accessor_type == "Account":
            # Account permissions never change a group's counts, so the model does not keep them.
            status = 200 if self.model.users[accessor]["active"] else 400
            self.expect(response, status)
            return
        body = self.expect(response, 200)
        assert body["action"] == action, self.where()
        key = (kind, target, accessor)
        if key in self.model.permissions:
            assert body["token"] == self.model.permissions[key][0], self.where()
        self.model.permissions[key] = [body["token"], action]

    def change_action(self, kind):
        keys = sorted(k for k in self.model.permissions if k[0] == kind)
        if not keys:
            return
        key = self.rng.choice(keys)
        self.touched.add(key[2])
        token = self.model.permissions[key][0]
        action = self.rng.choice(SPACE_ACTIONS if kind == "spaces" else SOURCE_ACTIONS)
        body = self.expect(self.ws.patch(f"/{kind}/{key[1]}/permissions/{token}",
                                         {"permission": {"action": action}}), 200)
        assert body["action"] == action, self.where()
        self.model.permissions[key][1] = action

    def revoke(self, kind):
        keys = sorted(k for k in self.model.permissions if k[0] == kind)
        if not keys:
            return
        key = self.rng.choice(keys)
        self.touched.add(key[2])
        token = self.model.permissions[key][0]
        body = self.expect(self.ws.delete(f"/{kind}/{key[1]}/permissions/{token}"), 200)
        assert body["token"] == token, self.where()
        del self.model.permissions[key]

    def deactivate(self, use_cli):
        active = sorted(u for u, info in self.model.users.items() if info["active"])
        if len(active) <= 2:
            return
        user = self.rng.choice(active)
        username = self.model.users[user]["username"]
        if use_cli:
            out = self.ws.server.cli.json("member", "deactivate", self.ws.slug, username)
            assert out["state"] == "deactivated", self.where()
        else:
            body = self.expect(self.ws.delete(f"/memberships/{username}"), 200)
            assert body["state"] == "deactivated", self.where()
        self.model.users[user]["active"] = False
        self.touched = None
        self.model.drop_user_memberships(user)

    def reactivate(self):
        inactive = sorted(u for u, info in self.model.users.items() if not info["active"])
        if not inactive:
            return
        user = self.rng.choice(inactive)
        out = self.ws.server.cli.member(self.ws.slug, self.model.users[user]["username"])
        assert out["state"] == "active", self.where()
        self.model.users[user]["active"] = True
        self.touched = None

    def run_one(self):
        model = self.model
        self.touched = set()

        choices = []
        if len(model.groups) < MAX_GROUPS:
            choices += [("create_group", 6)]
        if model.groups:
            choices += [("delete_group", 2), ("add_member", 20), ("grant_space", 12),
                        ("grant_source", 10)]
        if model.memberships:
            choices += [("remove_member", 12)]
        choices += [("change_space", 3), ("change_source", 3), ("revoke_space", 8),
                    ("revoke_source", 7), ("deactivate_http", 1), ("deactivate_cli", 0.3),
                    ("reactivate", 1.3)]

        names = [name for name, _ in choices]
        weights = [weight for _, weight in choices]
        self.operation = self.rng.choices(names, weights)[0]
        self.operation_counts[self.operation] = self.operation_counts.get(self.operation, 0) + 1

        handlers = {
            "create_group": self.create_group,
            "delete_group": self.delete_group,
            "add_member": self.add_member,
            "remove_member": self.remove_member,
            "grant_space": lambda: self.grant("spaces"),
            "grant_source": lambda: self.grant("data_sources"),
            "change_space": lambda: self.change_action("spaces"),
            "change_source": lambda: self.change_action("data_sources"),
            "revoke_space": lambda: self.revoke("spaces"),
            "revoke_source": lambda: self.revoke("data_sources"),
            "deactivate_http": lambda: self.deactivate(use_cli=False),
            "deactivate_cli": lambda: self.deactivate(use_cli=True),
            "reactivate": self.reactivate,
        }
        handlers[self.operation]()

    # Checks.

    def permission_lists(self):
        """Returns {(kind, target, group): [token, action]} read from every permission list."""
        found = {}
        for kind, targets, key in (("spaces", self.model.spaces, "space_permissions"),
                                   ("data_sources", self.model.sources,
                                    "data_source_entitlements")):
            for target in targets:
                body = self.expect(self.ws.get(f"/{kind}/{target}/permissions"), 200)
                for permission in body["_embedded"][key]:
                    if permission["accessor_type"] == "UserGroup":
                        found[(kind, target, permission["accessor_token"])] = [
                            permission["token"], permission["action"]]
        return found

    def check(self, full=False):
        model = self.model
        listed = self.expect(self.ws.get("/groups"), 200)["_embedded"]["groups"]
        assert sorted(g["token"] for g in listed) == sorted(model.groups), self.where()

        permissions = self.permission_lists()
        assert permissions == model.permissions, self.where()

        deep = set(model.groups) if full or self.touched is None else set(self.touched)
        if listed:
            deep.add(sorted(model.groups)[self.step % len(listed)])
        for group in listed:
            token = group["token"]
            expected = model.expected_counts(token)
            in_list = (group["member_count"], group["spaces_count"], group["data_sources_count"])
            assert in_list == expected, f"{self.where()}: list counts of {token}"
            if token not in deep:
                continue

            detail = self.expect(self.ws.get(f"/groups/{token}"), 200)
            in_detail = (detail["member_count"], detail["spaces_count"],
                         detail["data_sources_count"])
            assert in_detail == expected, f"{self.where()}: detail counts of {token}"

            members = self.expect(self.ws.get(f"/groups/{token}/memberships"), 200)
            tokens = {m["member_token"]: m["token"]
                      for m in members["_embedded"]["group_memberships"]}
            assert len(tokens) == detail["member_count"], f"{self.where()}: members of {token}"
            expected_members = {user: t for (g, user), t in model.memberships.items()
                                if g == token}
            assert tokens == expected_members, f"{self.where()}: members of {token}"


@pytest.fixture
def world(make_workspace):
    ws = make_workspace()
    users = {}
    for _ in range(USER_COUNT - 1):
        user = ws.add_user(unique("u"))
        users[user["token"]] = {"username": user["username"], "active": True}
    admin = ws.get(f"/memberships/{ws.admin_name}").json()
    users[admin["member_token"]] = {"username": ws.admin_name, "active": True}
    spaces = []
    for _ in range(SPACE_COUNT):
        response = ws.post("/spaces", {"space": {"name": unique("space")}})
        assert response.status_code == 200, response.text
        spaces.append(response.json()["token"])
    sources = [ws.server.cli.json("data-source", "add", ws.slug, unique("db"))["token"]
               for _ in range(SOURCE_COUNT)]
    return ws, Model(users, spaces, sources)


def test_counts_follow_random_operations(world):
    ws, model = world
    runner = Runner(ws, model, random.Random(SEED))
    runner.check(full=True)
    for step in range(1, OPERATION_COUNT + 1):
        runner.step = step
        runner.run_one()
        runner.check(full=step % FULL_CHECK_EVERY == 0)
    print("operations:", runner.operation_counts)
    if OPERATION_COUNT >= 1000:
        assert len(runner.operation_counts) == 13, runner.operation_counts

    # Removing a data source with the CLI drops the counts of every group that held it.
    runner.step, runner.operation = OPERATION_COUNT + 1, "data-source remove"
    removed = model.sources.pop()
    ws.server.cli.json("data-source", "remove", ws.slug, removed)
    for key in [k for k in model.permissions if k[1] == removed]:
        del model.permissions[key]
    runner.check(full=True)
