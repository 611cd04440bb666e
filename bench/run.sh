#!/usr/bin/env bash
# Builds Roster in release mode into build-bench and runs the benchmark suite (bench/run.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BENCH_BUILD_DIR:-build-bench} BUILD_TYPE=Release bash scripts/build.sh
exec /usr/bin/python3 bench/run.py "$@"
