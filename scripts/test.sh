#!/usr/bin/env bash
# Builds Roster and runs every test: unit tests (ctest) and the end-to-end suite (pytest) on
# SQLite and on a PostgreSQL server that this script starts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
(cd build && ctest --output-on-failure --timeout 300)
# Debian's python3 has pytest and requests; a python3 earlier on PATH may not.
python=/usr/bin/python3
echo "== end-to-end tests on SQLite"
"$python" -m pytest tests/e2e -q -p no:cacheprovider
