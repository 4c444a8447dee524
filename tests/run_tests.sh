#!/usr/bin/env bash
# Builds dal with AddressSanitizer + UndefinedBehaviorSanitizer and runs every
# test (ctest). Extra arguments go to ctest, e.g. tests/run_tests.sh -R conformance
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/cmake/install-deps.sh" --test
build="$root/build/asan"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDAL_SANITIZE=ON -DDAL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build" && ctest --output-on-failure -j"$(nproc)" "$@"
