#!/usr/bin/env bash
# Builds cJSON for WebAssembly from Debian's source package of cjson (the
# native libcjson cannot be linked into wasm). Uses only Debian's archive:
# a private apt configuration with deb-src lines (the system's apt sources are
# not touched), `apt-get source` (unpacks and applies Debian's patches), emcc.
#
#   cmake/wasm-cjson.sh OUTDIR     -> OUTDIR/include/cjson/cJSON.h, OUTDIR/lib/libcjson.a
#
# Does nothing when OUTDIR/lib/libcjson.a exists.
set -euo pipefail
out=${1:?usage: wasm-cjson.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -f "$out/lib/libcjson.a" ] && exit 0
command -v emcc >/dev/null || { echo "wasm-cjson.sh: emcc not found (apt-get install emscripten)" >&2; exit 1; }
command -v dpkg-source >/dev/null || { echo "wasm-cjson.sh: dpkg-source not found (apt-get install dpkg-dev)" >&2; exit 1; }

work="$out/src"
rm -rf "$work"
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/etc/sources.list.d" "$work/apt/etc/preferences.d"
# The same suites the system uses, as deb-src. The version of libcjson-dev
# installed natively is preferred, so both builds compile the same cJSON.
cat >"$work/apt/etc/sources.list" <<SRC
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main
SRC
aptopts=(-o "Dir::Etc::SourceList=$work/apt/etc/sources.list"
         -o "Dir::Etc::SourceParts=$work/apt/etc/sources.list.d"
         -o "Dir::Etc::Preferences=$work/apt/etc/preferences"
         -o "Dir::Etc::PreferencesParts=$work/apt/etc/preferences.d"
         -o "Dir::State::Lists=$work/apt/lists"
         -o "Dir::Cache=$work/apt/cache"
         -o "APT::Sandbox::User=root")
apt-get "${aptopts[@]}" -qq update
ver=$(dpkg-query -W -f='${Version}' libcjson-dev 2>/dev/null || true)
spec=cjson
if [ -n "$ver" ] && apt-get "${aptopts[@]}" -qq --print-uris source "cjson=$ver" >/dev/null 2>&1; then
  spec="cjson=$ver"
fi
( cd "$work" && apt-get "${aptopts[@]}" -qq source "$spec" >/dev/null )
srcdir=$(find "$work" -maxdepth 1 -type d -name 'cjson-*' | head -n 1)
[ -f "$srcdir/cJSON.c" ] || { echo "wasm-cjson.sh: no cJSON.c in the source package" >&2; exit 1; }
mkdir -p "$out/include/cjson" "$out/lib"
cp "$srcdir/cJSON.h" "$out/include/cjson/"
emcc -O2 -std=c89 -c "$srcdir/cJSON.c" -o "$work/cJSON.o"
emar rcs "$out/lib/libcjson.a" "$work/cJSON.o"
echo "$spec ($(basename "$srcdir"))" >"$out/VERSION"
echo "wasm-cjson.sh: built $(cat "$out/VERSION") into $out"
