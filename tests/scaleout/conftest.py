"""Fixtures for the scale-out and outage tests, which always run on PostgreSQL.

They use the server that ROSTER_TEST_PG_ADMIN_URL names, or else start a throwaway cluster
with scripts/start-postgres.sh for the session.
"""

import os

import pytest

from harness import PostgresCluster


@pytest.fixture(scope="session")
def pg_admin_url():
    url = os.environ.get("ROSTER_TEST_PG_ADMIN_URL", "")
    if url:
        yield url
        return
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.destroy()
