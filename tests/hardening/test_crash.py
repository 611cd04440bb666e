"""Crash safety: writers in several threads create, rename and delete groups, add and remove
members and grant and revoke permissions while the server is killed with SIGKILL at random
moments. After each restart on the same database:

- every write acknowledged with 200 is present;
- a write rejected with an error status left no trace;
- a write whose response was lost (the kill cut it off) is either fully applied or not at all;
- every group's member_count, spaces_count and data_sources_count match its lists.

ROSTER_CRASH_ROUNDS sets the number of kills (default 20) and ROSTER_CRASH_SEED the random
seed (printed on failure).
"""

import dataclasses
import os
import random
import sqlite3
import threading
import time

import pytest
import requests

from hardening_support import Server, database_for, engines, unique

ROUNDS = int(os.environ.get("ROSTER_CRASH_ROUNDS", "20"))
THREADS = 3
USERS = 5
REQUEST_TIMEOUT = 10


@dataclasses.dataclass
class GroupState:
    """What a group holds: member user token -> membership token, space or data source token ->
    permission token."""

    exists: bool = False
    token: str = ""
    name: str = ""
    members: dict = dataclasses.field(default_factory=dict)
    spaces: dict = dataclasses.field(default_factory=dict)
    sources: dict = dataclasses.field(default_factory=dict)

    def key(self):
        if not self.exists:
            return (False,)
        return (True, self.name, frozenset(self.members), frozenset(self.spaces),
                frozenset(self.sources))

    def copy(self):
        return dataclasses.replace(self, members=dict(self.members), spaces=dict(self.spaces),
                                   sources=dict(self.sources))


@dataclasses.dataclass
class Pending:
    """A write whose response was lost: the group must end up in `before` or `after`."""

    description: str
    before: GroupState
    after: GroupState
    create_name: str = ""  # set for a create, whose token is unknown


class Fixture:
    """The workspace, its members, spaces and data sources that the writers use."""

    def __init__(self, server):
        self.server = server
        self.workspace = server.cli.workspace(unique("ws"))["username"]
        self.credentials = server.cli.workspace_token(self.workspace)
        self.members = []
        for _ in range(USERS):
            name = unique("u")
            self.members.append(server.cli.user(name)["token"])
            server.cli.member(self.workspace, name)
        outsider = unique("out")
        self.outsider = server.cli.user(outsider)["token"]  # no membership in the workspace
        self.sources = [server.cli.json("data-source", "add", self.workspace, unique("ds"))["token"]
                        for _ in range(2)]
        session = self.session()
        self.spaces = []
        for _ in range(2):
            response = session.post(self.url("/spaces"), json={"space": {"name": unique("sp")}},
                                    timeout=REQUEST_TIMEOUT)
            assert response.status_code == 200, response.text
            self.spaces.append(response.json()["token"])

    def url(self, path):
        return self.server.url(f"/api/{self.workspace}{path}")

    def session(self):
        session = requests.Session()
        session.auth = (self.credentials.token, self.credentials.secret)
        return session


class Writer:
    """One thread's writes. Each writer changes only its own groups, one request at a time, so
    its model of them is exact apart from the one request a kill may cut off."""

    def __init__(self, index, fixture, rng):
        self.index = index
        self.fixture = fixture
        self.rng = rng
        self.groups = {}  # token -> GroupState, deleted groups included
        self.pending = None
        self.unexpected = []
        self.counter = 0
        self.acknowledged = 0

    def live(self):
        return [group for group in self.groups.values() if group.exists]

    def new_name(self):
        self.counter += 1
        return f"w{self.index}-{self.counter}-{unique('g')}"

    def run(self, stop):
        session = self.fixture.session()
        while not stop.is_set() and self.pending is None:
            self.step(session)

    def step(self, session):
        live = self.live()
        roll = self.rng.random()
        if len(live) < 3 or roll < 0.12:
            return self.create(session)
        group = self.rng.choice(live)
        if roll < 0.25:
            return self.rename(session, group, self.new_name(), 200)
        if roll < 0.30:
            taken_name = self.rng.choice(live).name
            expected = 200 if taken_name == group.name else 409
            return self.rename(session, group, taken_name.upper(), expected)
        if roll < 0.33:
            return self.rename(session, group, "bad\u0007name", 400)
        if roll < 0.50:
            return self.add_member(session, group)
        if roll < 0.60:
            return self.remove_member(session, group)
        if roll < 0.72:
            return self.grant(session, group, "spaces", self.rng.choice(self.fixture.spaces))
        if roll < 0.80:
            return self.grant(session, group, "sources", self.rng.choice(self.fixture.sources))
        if roll < 0.90:
            return self.revoke(session, group)
        return self.delete(session, group)

    def send(self, session, method, path, body=None):
        """Returns the response, or None when the request failed without one."""
        try:
            return session.request(method, self.fixture.url(path), json=body,
                                   timeout=REQUEST_TIMEOUT)
        except requests.RequestException:
            return None

    def finish(self, description, response, expected, before, after, create_name=""):
        """Applies `after` on 200 and checks that any other status was the expected error.

        Returns True when the write was acknowledged with 200."""
        if response is None:
            self.pending = Pending(description, before, after, create_name)
            return False
        if response.status_code == 200 and expected == 200:
            self.acknowledged += 1
            return True
        if response.status_code != expected:
            self.unexpected.append(f"{description}: {response.status_code} {response.text}")
        return False

    def create(self, session):
        name = self.new_name()
        response = self.send(session, "POST", "/groups", {"user_group": {"name": name}})
        after = GroupState(True, "", name)
        if self.finish(f"create {name}", response, 200, GroupState(), after, create_name=name):
            body = response.json()
            after.token = body["token"]
            self.groups[after.token] = after

    def rename(self, session, group, name, expected):
        after = group.copy()
        if expected == 200:
            after.name = name
        response = self.send(session, "PATCH", f"/groups/{group.token}",
                             {"user_group": {"name": name}})
        if self.finish(f"rename {group.token} to {name!r}", response, expected, group, after):
            self.groups[group.token] = after

    def add_member(self, session, group):
        outsider = self.rng.random() < 0.1
        user = self.fixture.outsider if outsider else self.rng.choice(self.fixture.members)
        after = group.copy()
        if not outsider:
            after.members.setdefault(user, "")
        response = self.send(session, "POST", f"/groups/{group.token}/memberships",
                             {"membership": {"member_token": user}})
        if self.finish(f"add {user} to {group.token}", response, 400 if outsider else 200,
                       group, after):
            after.members[user] = response.json()["token"]
            self.groups[group.token] = after

    def remove_member(self, session, group):
        if not group.members:
            return self.add_member(session, group)
        user, membership = self.rng.choice(sorted(group.members.items()))
        after = group.copy()
        del after.members[user]
        response = self.send(session, "DELETE", f"/groups/{group.token}/memberships/{membership}")
        if self.finish(f"remove {user} from {group.token}", response, 200, group, after):
            self.groups[group.token] = after

    def grant(self, session, group, kind, target):
        prefix = "/spaces" if kind == "spaces" else "/data_sources"
        action = "view" if kind == "spaces" else "query"
        after = group.copy()
        getattr(after, kind).setdefault(target, "")
        response = self.send(session, "POST", f"{prefix}/{target}/permissions",
                             {"permission": {"action": action, "accessor_type": "UserGroup",
                                             "accessor_token": group.token}})
        if self.finish(f"grant {target} to {group.token}", response, 200, group, after):
            getattr(after, kind)[target] = response.json()["token"]
            self.groups[group.token] = after

    def revoke(self, session, group):
        granted = [("spaces", target, permission) for target, permission in group.spaces.items()]
        granted += [("sources", target, permission)
                    for target, permission in group.sources.items()]
        if not granted:
            return self.grant(session, group, "spaces", self.rng.choice(self.fixture.spaces))
        kind, target, permission = self.rng.choice(sorted(granted))
        prefix = "/spaces" if kind == "spaces" else "/data_sources"
        after = group.copy()
        del getattr(after, kind)[target]
        response = self.send(session, "DELETE", f"{prefix}/{target}/permissions/{permission}")
        if self.finish(f"revoke {target} from {group.token}", response, 200, group, after):
            self.groups[group.token] = after

    def delete(self, session, group):
        after = GroupState(False, group.token, group.name)
        response = self.send(session, "DELETE", f"/groups/{group.token}")
        if self.finish(f"delete {group.token}", response, 200, group, after):
            self.groups[group.token] = after


def read_state(fixture):
    """Reads every group of the workspace with its members and permissions, and checks that
    each group's counts match its lists. Returns (token -> GroupState, failures)."""
    session = fixture.session()
    failures = []

    def get(path):
        response = session.get(fixture.url(path), timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    listed = get("/groups")["_embedded"]["groups"]
    state = {}
    for item in listed:
        group = GroupState(True, item["token"], item["name"])
        memberships = get(f"/groups/{group.token}/memberships")["_embedded"]["group_memberships"]
        group.members = {m["member_token"]: m["token"] for m in memberships}
        state[group.token] = group
        if item["member_count"] != len(memberships):
            failures.append(f"group {group.token}: member_count {item['member_count']} "
                            f"but {len(memberships)} memberships")
    for kind, prefix, key in (("spaces", "/spaces", "space_permissions"),
                              ("sources", "/data_sources", "data_source_entitlements")):
        targets = fixture.spaces if kind == "spaces" else fixture.sources
        for target in targets:
            for permission in get(f"{prefix}/{target}/permissions")["_embedded"][key]:
                if permission["accessor_type"] != "UserGroup":
                    continue
                group = state.get(permission["accessor_token"])
                if group is None:
                    failures.append(f"{prefix}/{target} has permission {permission['token']} "
                                    f"for group {permission['accessor_token']}, which is not listed")
                    continue
                getattr(group, kind)[target] = permission["token"]
    for item in listed:
        group = state[item["token"]]
        if item["spaces_count"] != len(group.spaces):
            failures.append(f"group {group.token}: spaces_count {item['spaces_count']} "
                            f"but {len(group.spaces)} space permissions")
        if item["data_sources_count"] != len(group.sources):
            failures.append(f"group {group.token}: data_sources_count "
                            f"{item['data_sources_count']} but {len(group.sources)} "
                            "data source permissions")
    return state, failures


def reconcile(writers, state):
    """Checks the database state against every writer's model and adopts the outcome of each
    lost write. Returns a list of failures."""
    failures = []
    claimed = set()
    for writer in writers:
        pending = writer.pending
        writer.pending = None
        if pending and pending.create_name:
            created = [g for g in state.values() if g.name == pending.create_name]
            if created:
                writer.groups[created[0].token] = created[0]
                claimed.add(created[0].token)
        for token, model in writer.groups.items():
            claimed.add(token)
            actual = state.get(token, GroupState(False, token, model.name))
            if pending and not pending.create_name and pending.before.token == token:
                if actual.key() not in (pending.before.key(), pending.after.key()):
                    failures.append(f"lost write '{pending.description}' left group {token} "
                                    f"half-applied: {actual.key()}")
            elif actual.key() != model.key():
                failures.append(f"group {token}: expected {model.key()}, found {actual.key()}")
            writer.groups[token] = actual
    for token, group in state.items():
        if token not in claimed:
            failures.append(f"group {token} ({group.name}) was never acknowledged")
    return failures


def check_sqlite_integrity(path):
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        connection.close()


@pytest.mark.parametrize("engine", engines())
def test_writes_survive_sigkill(engine, tmp_path):
    seed = int(os.environ.get("ROSTER_CRASH_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    db = database_for(engine, tmp_path)
    server = Server(db, tmp_path / "server.log")
    try:
        fixture = Fixture(server)
        writers = [Writer(i, fixture, random.Random(rng.random())) for i in range(THREADS)]
        lost = 0
        for round_number in range(ROUNDS):
            stop = threading.Event()
            threads = [threading.Thread(target=w.run, args=(stop,)) for w in writers]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.05, 1.0))
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=REQUEST_TIMEOUT + 5)
                assert not thread.is_alive(), "a writer did not stop after the kill"
            lost += sum(1 for w in writers if w.pending)

            server.start()
            state, failures = read_state(fixture)
            failures += reconcile(writers, state)
            for writer in writers:
                failures += writer.unexpected
                writer.unexpected = []
            assert not failures, (f"seed {seed}, after kill {round_number + 1}:\n"
                                  + "\n".join(failures))

        acknowledged = sum(w.acknowledged for w in writers)
        # Too few writes would make the test pass without testing anything.
        assert acknowledged >= ROUNDS * 5, f"only {acknowledged} writes were acknowledged"
        print(f"seed {seed}: {ROUNDS} kills, {acknowledged} acknowledged writes, "
              f"{lost} lost responses")
    finally:
        server.stop()
    if engine == "sqlite":
        check_sqlite_integrity(db)
