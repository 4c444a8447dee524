#!/usr/bin/env bash
# The browser tests: builds the WebAssembly tree (emcmake, build/wasm) and runs
# its tests in headless Chromium (ctest -L idb): the conformance and builder
# suites on idb: and memory:, persistence across reloads, a claim raced by two
# tabs. Extra arguments go to ctest.
#
# When emcc, chromium, node or npm is missing it says so and stops with
# status 0 ("SKIPPED"), unless DAL_IDB_REQUIRED=1 (CI), which makes that an
# error. cmake/install-deps.sh --wasm installs them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${DAL_WASM_BUILD:-$root/build/wasm}
missing=()
for tool in emcc emcmake node npm; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ -x "${DAL_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  msg="browser tests (idb): SKIPPED: missing ${missing[*]} (install: cmake/install-deps.sh --wasm)"
  if [ "${DAL_IDB_REQUIRED:-0}" = 1 ]; then echo "dal: $msg; DAL_IDB_REQUIRED=1 makes that an error" >&2; exit 1; fi
  echo "dal: $msg" >&2
  exit 0
fi
emcmake cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build" && ctest --output-on-failure -L idb "$@"
