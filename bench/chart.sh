#!/usr/bin/env bash
# Runs dal_bench --json and draws docs/bench.svg with gnuplot.
#   bench/chart.sh [BUILD_DIR] [-- dal_bench options, e.g. --quick]
# BUILD_DIR defaults to build-bench (configure it with -DCMAKE_BUILD_TYPE=Release).
# Needs gnuplot (Debian gnuplot-nox: cmake/install-deps.sh --bench).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-bench}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
command -v gnuplot >/dev/null || { echo "chart.sh: gnuplot missing (cmake/install-deps.sh --bench)" >&2; exit 1; }
cmake --build "$build" --target dal_bench -j2 >/dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$build/bench/dal_bench" --json "$@" > "$tmp/bench.jsonl"
awk -v four="$tmp/four.dat" -v scale="$tmp/scale.dat" -f "$root/bench/chart.awk" "$tmp/bench.jsonl"
machine="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
gnuplot -e "four='$tmp/four.dat'; scale='$tmp/scale.dat'; out='$root/docs/bench.svg'; machine='$machine'; when='$(date -u +%Y-%m-%d)'" \
  "$root/bench/chart.gp"
echo "wrote $root/docs/bench.svg"
cp "$tmp/bench.jsonl" "$root/docs/bench.jsonl"
echo "wrote $root/docs/bench.jsonl (the data drawn)"
