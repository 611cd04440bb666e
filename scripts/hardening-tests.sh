#!/usr/bin/env bash
# Runs the hardening checks. Steps, run in this order unless named as arguments:
#   hardening   tests/hardening (crash safety, connection and authentication abuse, TLS,
#               secrets) against the regular build in $BUILD_DIR (default build; built if
#               missing).
#   sanitizers  builds $SANITIZER_BUILD_DIR (default build-asan) with clang 14,
#               AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer instrumentation, runs
#               its ctest suite (unit tests and fuzz corpus replays), then the end-to-end suite
#               on SQLite and the connection and TLS tests against its binary. Any sanitizer
#               report fails the step.
#   fuzz        runs each libFuzzer target of that build for $FUZZ_SECONDS seconds (default 60),
#               starting from fuzz/corpus/<target>.
# One clang build serves both of the last two steps: gcc 12 takes several times longer to
# compile the Beast code with sanitizers.
# A long fuzzing run of one target:
#   FUZZ_SECONDS=3600 FUZZ_TARGETS=http_request bash scripts/hardening-tests.sh fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

python=/usr/bin/python3  # Debian's python3 has pytest and requests
build_dir=${BUILD_DIR:-build}
sanitizer_build_dir=${SANITIZER_BUILD_DIR:-build-asan}
fuzz_seconds=${FUZZ_SECONDS:-60}
fuzz_targets=${FUZZ_TARGETS:-"request_body names http_request"}
steps=${*:-hardening sanitizers fuzz}

run_hardening() {
  echo "== hardening tests against $build_dir/roster"
  [ -x "$build_dir/roster" ] || BUILD_DIR=$build_dir bash scripts/build.sh
  ROSTER_BIN=$PWD/$build_dir/roster "$python" -m pytest tests/hardening -q -p no:cacheprovider
}

build_sanitizers() {
  echo "== clang build with sanitizers and libFuzzer in $sanitizer_build_dir"
  # -O1 with line tables compiles faster than -O2 -g and keeps stack traces usable.
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$sanitizer_build_dir" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DROSTER_SANITIZE=ON -DROSTER_FUZZ=ON >/dev/null
  cmake --build "$sanitizer_build_dir" -j "$(nproc)"
}

run_sanitizers() {
  build_sanitizers
  local reports
  reports=$(mktemp -d)
  # Reports go to files, because a server's stderr is only a log file that tests may not read.
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1:log_path=$reports/asan"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
  local status=0
  (cd "$sanitizer_build_dir" && ctest --output-on-failure --timeout 300) || status=1
  echo "== end-to-end tests on SQLite against the sanitizer build"
  ROSTER_TEST_PG_ADMIN_URL='' ROSTER_BIN=$PWD/$sanitizer_build_dir/roster \
    "$python" -m pytest tests/e2e -q -p no:cacheprovider || status=1
  echo "== connection and TLS tests against the sanitizer build"
  ROSTER_TEST_PG_ADMIN_URL='' ROSTER_BIN=$PWD/$sanitizer_build_dir/roster \
    "$python" -m pytest tests/hardening/test_connections.py tests/hardening/test_tls.py \
    -q -p no:cacheprovider || status=1
  unset ASAN_OPTIONS UBSAN_OPTIONS
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitizer reports:"
    for report in "$reports"/*; do
      echo "--- $report"
      cat "$report"
    done
    status=1
  fi
  rm -rf "$reports"
  return $status
}

run_fuzz() {
  [ -x "$sanitizer_build_dir/fuzz_names" ] || build_sanitizers
  echo "== libFuzzer targets in $sanitizer_build_dir, $fuzz_seconds s each"
  local status=0
  for name in $fuzz_targets; do
    local work artifacts log
    work=$(mktemp -d)
    artifacts=$sanitizer_build_dir/artifacts/$name
    log=$sanitizer_build_dir/fuzz_$name.log
    mkdir -p "$artifacts"
    # New inputs go to the scratch directory; the checked-in corpus is only read.
    if ! "$sanitizer_build_dir/fuzz_$name" -max_total_time="$fuzz_seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$work" "fuzz/corpus/$name" >"$log" 2>&1; then
      tail -n 60 "$log"
      echo "fuzz_$name failed; the input is in $artifacts. Copy it into fuzz/regressions/$name/"
      echo "so that ctest replays it, then fix the bug."
      status=1
    else
      grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" | sed "s/^/fuzz_$name /"
    fi
    rm -rf "$work"
  done
  return $status
}

status=0
for step in $steps; do
  case $step in
    hardening) run_hardening || status=1 ;;
    sanitizers) run_sanitizers || status=1 ;;
    fuzz) run_fuzz || status=1 ;;
    *) echo "unknown step: $step (expected hardening, sanitizers or fuzz)" >&2; exit 2 ;;
  esac
done
exit $status
