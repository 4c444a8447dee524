#!/usr/bin/env bash
# Installs the Debian packages dal needs to build and test, when missing.
#   cmake/install-deps.sh            build + run (the demo)
#   cmake/install-deps.sh --test     also what the tests need (cmocka, valgrind, clang, a
#                                    PostgreSQL server the tests start and stop)
#   cmake/install-deps.sh --fuzz     also clang and its runtime (libFuzzer)
#   cmake/install-deps.sh --wasm     also the WebAssembly build and its browser tests:
#                                    emscripten, chromium, node + npm, dpkg-dev (apt-get source)
set -euo pipefail

pkgs=(cmake make gcc pkg-config lemon re2c libsqlite3-dev libcjson-dev libpq-dev)
for arg in "$@"; do
  case "$arg" in
    --test) pkgs+=(libcmocka-dev valgrind sqlite3 clang postgresql) ;;
    --fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
    --bench) pkgs+=(gnuplot-nox) ;;
    --wasm)
      pkgs+=(emscripten chromium dpkg-dev)
      # node and npm: any installed ones do (Debian's nodejs + npm otherwise)
      command -v node >/dev/null || pkgs+=(nodejs)
      command -v npm >/dev/null || pkgs+=(npm)
      ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "dal: installing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "dal: run as root or install: apt-get install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
