#!/bin/sh
# Quick start command 1: set up, build, generate the reference data once (1,000,000 clients,
# seed 42) and evaluate the example segment over it: count, share, time and the first members.
set -eu
cd "$(dirname "$0")/.."
tools/build.sh seg
ROWS=${SEG_ROWS:-1000000}
mkdir -p data
CSV="data/clients-$ROWS.csv"
SNAP="data/clients-$ROWS.seg"
if [ ! -f "$SNAP" ]; then
  echo "generating the reference data ($ROWS clients, seed 42) into $CSV" >&2
  build/seg gen --rows "$ROWS" --seed 42 -o "$CSV"
  build/seg convert "$CSV" -o "$SNAP"
fi
RULE=${1:-"stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12"}
echo "rule: $RULE"
exec build/seg eval "$RULE" --data "$SNAP" --rows 10
