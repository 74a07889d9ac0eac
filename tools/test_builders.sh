#!/bin/sh
# The builders test (docs/interop.md): random rules exported to react-querybuilder and
# JsonLogic, read and evaluated by the builders' own code (npm react-querybuilder and
# json-logic-js, test-only, installed by CMake from tests/builders/package-lock.json), then
# imported back. Fails when json-logic-js selects other members than seg, or when what the
# builders wrote imports as another rule.
#   tools/test_builders.sh CORPUS_BIN OUT [RULES] [SEED]
set -eu
BIN=$(realpath "$1")
OUT=$2
RULES=${3:-${SEG_BUILDERS_RULES:-400}}
SEED=${4:-${SEG_BUILDERS_SEED:-1}}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$ROOT/tests/builders/node_modules/json-logic-js/package.json" ]; then
  echo "test_builders: tests/builders/node_modules is missing: the build runs npm ci there" >&2
  exit 1
fi
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
rm -f "$OUT/corpus.jsonl" "$OUT/rows.json" "$OUT/builders.jsonl"
"$BIN" make "$RULES" "$SEED" "$OUT"
node "$ROOT/tests/builders/builders.test.mjs" "$OUT"
"$BIN" check "$OUT"
# Hand-written rules over a schema with what the CRM's lacks (seg_builders_corpus edges).
mkdir -p "$OUT/edges"
rm -f "$OUT/edges/corpus.jsonl" "$OUT/edges/rows.json" "$OUT/edges/builders.jsonl"
"$BIN" edges "$OUT/edges"
node "$ROOT/tests/builders/builders.test.mjs" "$OUT/edges"
"$BIN" check "$OUT/edges"
