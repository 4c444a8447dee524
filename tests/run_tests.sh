#!/usr/bin/env bash
# Builds dal with AddressSanitizer + UndefinedBehaviorSanitizer and runs every
# test (ctest). Extra arguments go to ctest, e.g. tests/run_tests.sh -R conformance
# Then the browser tests (tests/idb/run.sh: the WebAssembly build in headless
# Chromium), or a line saying they were skipped when emscripten or chromium is
# missing (DAL_IDB_REQUIRED=1 makes that an error; DAL_IDB=0 leaves them out).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/cmake/install-deps.sh" --test
build="$root/build/asan"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDAL_SANITIZE=ON -DDAL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
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
