#!/usr/bin/env bash
# Builds dal with AddressSanitizer + UndefinedBehaviorSanitizer and runs every
# test (ctest). Extra arguments go to ctest, e.g. tests/run_tests.sh -R conformance
#
# PostgreSQL: the tests labelled "postgresql" run on the server of
# DAL_TEST_PG_URL when it is set; otherwise on a throwaway server this script
# starts (tests/pg/server.sh: a new cluster in a temporary directory on
# 127.0.0.1, removed at the end even on failure) when the server binaries are
# installed; without them they are reported as skipped.
#
# Then the browser tests (tests/idb/run.sh: the WebAssembly build in headless
# Chromium), or a line saying they were skipped when emscripten or chromium is
# missing (DAL_IDB_REQUIRED=1 makes that an error; DAL_IDB=0 leaves them out).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/cmake/install-deps.sh" --test
build="$root/build/asan"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDAL_SANITIZE=ON -DDAL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
if [ -z "${DAL_TEST_PG_URL:-}" ]; then
  if "$root/tests/pg/server.sh" available; then
    pgdir=$(mktemp -d /tmp/dal-pg-XXXXXX)
    trap '"$root/tests/pg/server.sh" stop "$pgdir"' EXIT
    DAL_TEST_PG_URL=$("$root/tests/pg/server.sh" start "$pgdir")
    export DAL_TEST_PG_URL
    echo "dal: PostgreSQL tests on a throwaway server (127.0.0.1, $pgdir)"
  else
    echo "dal: no PostgreSQL server binaries (apt-get install postgresql) and no DAL_TEST_PG_URL:" \
         "the PostgreSQL tests are SKIPPED"
  fi
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
( cd "$build" && ctest --output-on-failure -j"$(nproc)" "$@" )
if [ "${DAL_IDB:-1}" = 0 ]; then
  echo "dal: browser tests (idb): not run (DAL_IDB=0)" >&2
elif [ $# -gt 0 ]; then
  echo "dal: browser tests (idb): not run (ctest arguments given; tests/idb/run.sh runs them)" >&2
else
  "$root/tests/idb/run.sh"
fi
