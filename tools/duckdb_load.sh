#!/bin/sh
# Loads a reference CSV into a DuckDB database file, into the table `seg sql --create-tables -d
# duckdb` prints (enums for stage and country, a list for tags): the one recipe
# tools/bench_peers.sh and tools/bench_membership.sh share. DuckDB is the npm client of
# tests/sql (a benchmark-only tool).
# Usage: tools/duckdb_load.sh SEG_BINARY CSV DB_FILE
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 3 ] || { echo "usage: tools/duckdb_load.sh SEG_BINARY CSV DB_FILE" >&2; exit 2; }
SEG=$1 CSV=$2 DB=$3
COLS="stage, tags, spot, player_id, client_id, deposit_total, registered_at, last_active_at, country"
{
  "$SEG" sql --create-tables -d duckdb
  cat <<SQL
;
INSERT INTO clients ($COLS)
  SELECT stage, CASE WHEN tags IS NULL OR tags = '' THEN []::VARCHAR[] ELSE string_split(tags, '|') END,
         CAST(spot AS BIGINT), CAST(player_id AS BIGINT), CAST(client_id AS BIGINT), CAST(deposit_total AS DECIMAL(18, 2)),
         CAST(replace(registered_at, 'Z', '') AS TIMESTAMP), CAST(replace(last_active_at, 'Z', '') AS TIMESTAMP), country
  FROM read_csv('$CSV', header = true, all_varchar = true);
CHECKPOINT;
SQL
} | node "$SRC/tests/sql/duckdb_shell.mjs" "$DB" >/dev/null
