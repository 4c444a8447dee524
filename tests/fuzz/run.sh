#!/usr/bin/env bash
# run.sh SECONDS BUILDDIR - fuzzes dalc's front end with libFuzzer.
#
# Configures BUILDDIR with clang and -DDAL_FUZZ=ON, builds the fuzz targets
# of this folder (fuzz_lexer, fuzz_frontend, fuzz_json) and runs each for
# SECONDS, starting from its seed corpus in tests/fuzz/corpus/<name> (with the
# dictionary tests/fuzz/dal.dict for dalc's own two).
# New inputs go to BUILDDIR/fuzz-work/<name>/, crash reproducers to
# BUILDDIR/fuzz-work/. Prints each target's executions; exits non-zero when a
# target crashes, leaks or hangs.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 SECONDS BUILDDIR" >&2
  exit 2
fi
secs=$1
build=$2
root=$(cd "$(dirname "$0")/../.." && pwd)

CC=clang cmake -S "$root" -B "$build" -DDAL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDAL_BUILD_BENCH=OFF >/dev/null
targets=(fuzz_lexer fuzz_frontend fuzz_json)
work="$build/fuzz-work"
mkdir -p "$work"
cmake --build "$build" --target "${targets[@]}" -j2 >/dev/null

failed=0
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  bin=$(find "$build" -type f -name "$t" -perm -u+x | head -n 1)
  mkdir -p "$work/$name"
  log="$work/$name.log"
  dict=()
  [ "$name" = json ] || dict=(-dict="$root/tests/fuzz/dal.dict")
  status=0
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$work/$name-" "$work/$name" "$root/tests/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  echo "$t: ${runs:-?} executions in ${secs} s, exit status $status"
  if [ "$status" -ne 0 ]; then
    failed=1
    tail -n 40 "$log"
  fi
done
exit $failed
