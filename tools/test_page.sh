#!/bin/sh
# The Segments page's browser test (docs/page.md): starts `seg serve` on a free loopback port
# with a fresh catalog and membership, drives Debian's chromium through it with playwright-core
# (tests/page/page.test.mjs) and stops the service whatever the outcome. Screenshots of every
# step go to OUT/screenshots (kept as CI artifacts under the build folder).
#   tools/test_page.sh SEG OUT              CI: 100,000 reference clients, made here
#   SEG_PAGE_DATA=/tmp/c10m.seg SEG_PAGE_SEGMENTS=10000 tools/test_page.sh build/seg /tmp/page-perf
#                                           the figures of docs/performance.md
set -eu
SEG=$(realpath "$1")
OUT=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
rm -rf "$OUT/screenshots" "$OUT/catalog.db" "$OUT/catalog.db-wal" "$OUT/catalog.db-shm"
mkdir -p "$OUT/screenshots"
CHROMIUM=${SEG_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "test_page: $CHROMIUM is missing: tools/setup.sh installs Debian's chromium" >&2
  exit 1
fi
# playwright-core needs Node 20 or newer (Debian 12's own nodejs is 18).
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "test_page: the browser test needs Node 20 or newer (playwright-core); this is $(node --version)" >&2
  exit 1
fi
DATA=${SEG_PAGE_DATA:-$OUT/clients-100000.seg}
if [ ! -f "$DATA" ]; then
  "$SEG" gen --rows 100000 --seed 42 -o - | "$SEG" convert - -o "$DATA"
fi
LOG="$OUT/serve.log"
pid=""
stop() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
trap stop EXIT INT TERM
# The membership kept current, made from the (empty) catalog: the table's counts follow it.
rm -rf "$OUT/members"
"$SEG" refresh --catalog "$OUT/catalog.db" --data "$DATA" --state "$OUT/members" >/dev/null
"$SEG" serve --data "$DATA" --catalog "$OUT/catalog.db" --membership "$OUT/members" --listen 127.0.0.1:0 --quiet >"$LOG" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(sed -n 's/^seg serve: listening on //p' "$LOG" | head -1)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.05
done
[ -n "$url" ] || { echo "test_page: seg serve did not start" >&2; cat "$LOG" >&2; exit 1; }
SEG_URL=$url SEG_BIN=$SEG SEG_DATA=$DATA SEG_OUT=$OUT SEG_CHROMIUM=$CHROMIUM \
  NODE_PATH="$ROOT/service/page/node_modules" node "$ROOT/tests/page/page.test.mjs"
