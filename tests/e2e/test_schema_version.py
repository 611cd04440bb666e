"""A database migrated by a newer roster is refused by `roster migrate` and `roster serve`."""

import json
import sqlite3
import subprocess

import pytest

from conftest import ROSTER_BIN, engine_name, new_database


def roster(db, *args, timeout=30):
    return subprocess.run([ROSTER_BIN, "--db", db, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def run_sql(db, sql):
    if engine_name() == "postgresql":
        subprocess.run(["psql", db, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                       capture_output=True, timeout=30)
    else:
        with sqlite3.connect(db) as connection:
            connection.execute(sql)


@pytest.fixture
def newer_database(tmp_path):
    """Returns (--db value, the newer version) of a database one version ahead of the binary."""
    db = new_database(tmp_path)
    migrated = roster(db, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    newer = json.loads(migrated.stdout)["schema_version"] + 1
    run_sql(db, "INSERT INTO schema_migrations (version, description, applied_at) "
                f"VALUES ({newer}, 'written by a newer roster', 0)")
    return db, newer


def assert_one_line_schema_error(result, newer):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("roster: ")
    assert f"schema is version {newer}" in lines[0]
    assert "newer roster" in lines[0]


def test_migrate_twice_keeps_version(tmp_path):
    db = new_database(tmp_path)
    first = roster(db, "migrate")
    second = roster(db, "migrate")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert json.loads(first.stdout)["schema_version"] == json.loads(second.stdout)["schema_version"]
    assert "applied schema migration" in first.stderr
    assert "applied schema migration" not in second.stderr


def test_migrate_rejects_newer_schema(newer_database):
    db, newer = newer_database
    assert_one_line_schema_error(roster(db, "migrate"), newer)


def test_serve_rejects_newer_schema(newer_database):
    db, newer = newer_database
    # A serve that started would run until the timeout and fail the test.
    result = roster(db, "serve", "--listen", "127.0.0.1:0", "--threads", "1")
    assert_one_line_schema_error(result, newer)


def test_cli_command_rejects_newer_schema(newer_database):
    db, newer = newer_database
    assert_one_line_schema_error(roster(db, "workspace", "create", "newerschema"), newer)
