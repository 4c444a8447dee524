#!/usr/bin/env bash
# The main job: builds dal and runs the swarm demo on the embedded default
# (a SQLite file, swarm.db in the current directory).
#   examples/run_demo.sh [URL]     e.g. memory:  or  sqlite:/tmp/other.db
# SWARM_SCHEMA=FILE builds the demo from another copy of schema/swarm.dal
# (an edited one: the database migrates when the demo opens it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/cmake/install-deps.sh"
build="$root/build/release"
schema=$(realpath "${SWARM_SCHEMA:-$root/schema/swarm.dal}")
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDAL_BUILD_TESTS=OFF -DDAL_BUILD_BENCH=OFF \
  -DDAL_SWARM_SCHEMA="$schema" >/dev/null
cmake --build "$build" --target swarm_demo -j"$(nproc)" >/dev/null
exec "$build/examples/swarm_demo" "$@"
