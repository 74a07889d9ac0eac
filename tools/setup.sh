#!/bin/sh
# Installs the Debian packages seg needs (idempotent, quiet when all are present).
set -eu
# postgresql and clickhouse-server (with their shells, and sqlite3's) run the SQL tests
# (tools/test_sql.sh and tools/bench_peers.sh start throwaway instances; the packages' own
# services are not used).
# chromium runs the Segments page's browser test (tools/test_page.sh); fonts-liberation is only
# recommended by it, and without a font its screenshots show no text.
PKGS="cmake g++ ninja-build ccache pkg-config tao-pegtl-dev libfmt-dev libgtest-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev libedit-dev libsqlite3-dev libpq-dev libcpp-httplib-dev libroaring-dev clang libclang-rt-14-dev llvm-14-dev chromium fonts-liberation postgresql sqlite3 clickhouse-server clickhouse-client"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node and npm bundle the page at build time (service/page; not needed to run seg). A node
# already on the PATH (from any source) will do.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
# Python 3 runs tools/bench_jit.py and its test (and tools/bench_changes_while_counting.py).
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "seg setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when a package cannot be found in the current lists.
if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
