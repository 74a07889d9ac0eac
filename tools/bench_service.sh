#!/bin/sh
# The service benchmark (docs/performance.md, "The service"): starts `seg serve` on a
# snapshot with a fresh catalog, runs the load generator (tests/bench/load/service_load.cpp)
# and stops the server whatever the outcome. Usage:
#   tools/bench_service.sh SNAPSHOT [CLIENTS=16] [REQUESTS=50] [SEGMENTS=10000]
# e.g. tools/bench_service.sh /tmp/c10m.seg  (make it with: build/seg gen --rows 10000000 -o - | build/seg convert - -o /tmp/c10m.seg)
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: tools/bench_service.sh SNAPSHOT [CLIENTS] [REQUESTS] [SEGMENTS]" >&2; exit 2; }
tools/build.sh seg seg_service_load >/dev/null
dir=$(mktemp -d)
out="$dir/serve.out"
t0=$(date +%s%N)
build/seg serve --data "$1" --catalog "$dir/segments.db" --listen 127.0.0.1:0 --quiet >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
while ! grep -q "listening on" "$out"; do
  kill -0 $pid 2>/dev/null || { cat "$out" >&2; exit 1; }
  sleep 0.01
done
url=$(sed -n 's/.*listening on http:\/\///p' "$out")
curl -s -X POST "http://$url/api/count" -d '{"rule": "spot = 12"}' >/dev/null
t1=$(date +%s%N)
echo "cold start to the first count answered: $(( (t1 - t0) / 1000000 )) ms"
build/tests/seg_service_load "${url%:*}" "${url##*:}" "${2:-16}" "${3:-50}" "${4:-10000}"
