#!/usr/bin/env bash
# Builds Roster into ./build (or $BUILD_DIR) and runs every test. It starts a throwaway
# PostgreSQL 15 cluster, runs the unit tests (ctest), then the end-to-end suite (pytest) on
# SQLite and again on PostgreSQL. Last come the scale-out and outage tests: two instances
# behind HAProxy, and PostgreSQL stopped and paused under traffic. The cluster is removed at
# exit.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
export BUILD_DIR=$build_dir
export ROSTER_BIN=$PWD/$build_dir/roster
# Debian's python3 has pytest and requests; a python3 earlier on PATH may not.
python=/usr/bin/python3

bash scripts/build.sh

# Runs pytest and fails when it collected no test (exit code 5), which pytest reports apart
# from failures.
run_pytest() {
  local status=0
  "$python" -m pytest "$@" -q -p no:cacheprovider || status=$?
  if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests in $*" >&2
    return 1
  fi
  return "$status"
}

echo "== starting PostgreSQL"
export ROSTER_PG_DIR
ROSTER_PG_DIR=$(mktemp -d /tmp/roster-pg.XXXXXX)
trap 'bash scripts/start-postgres.sh destroy || true' EXIT
ROSTER_TEST_PG_ADMIN_URL=$(bash scripts/start-postgres.sh)
export ROSTER_TEST_PG_ADMIN_URL
echo "PostgreSQL: $ROSTER_TEST_PG_ADMIN_URL"

echo "== unit tests (the PostgreSQL engine tests use the cluster above)"
(cd "$build_dir" && ctest --output-on-failure --timeout 300)

echo "== end-to-end tests on SQLite"
(unset ROSTER_TEST_PG_ADMIN_URL && run_pytest tests/e2e)

echo "== end-to-end tests on PostgreSQL"
run_pytest tests/e2e

echo "== scale-out and outage tests on PostgreSQL"
run_pytest tests/scaleout

echo "== hardening: crash safety, connection and authentication abuse, sanitizers, fuzzing"
bash scripts/hardening-tests.sh

echo "== benchmark smoke run (2 s per scenario; the full suite is bench/run.sh)"
BENCH_BUILD_DIR=$PWD/$build_dir "$python" bench/run.py --quick
