#!/usr/bin/env bash
# The main job: builds dal and runs the swarm demo on the embedded default
# (a SQLite file, swarm.db in the current directory).
#   examples/run_demo.sh [URL]     e.g. memory:  or  sqlite:/tmp/other.db
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/cmake/install-deps.sh"
build="$root/build/release"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDAL_BUILD_TESTS=OFF -DDAL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target swarm_demo -j"$(nproc)" >/dev/null
exec "$build/examples/swarm_demo" "$@"
