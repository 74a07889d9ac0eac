#!/bin/sh
# The SQL differential test against real servers (docs/sql.md): starts a throwaway PostgreSQL 15
# (Unix socket only, in a temporary folder) and a throwaway ClickHouse (127.0.0.1, free ports),
# runs seg_sql_differential against them and SQLite (and DuckDB with --duckdb SCRIPT), and
# stops both whatever the outcome.
# Usage: tools/test_sql.sh SEG_SQL_DIFFERENTIAL WORK_DIR [extra arguments for it]
#   e.g. tools/test_sql.sh build/tests/seg_sql_differential /tmp/sqltest --tables 500 --seed 7
set -eu
BIN=$1
WORK=$2
shift 2
. "$(dirname "$0")/sql_servers.sh"
mkdir -p "$WORK"
chmod 755 "$WORK"
sql_servers_start "$(mktemp -d "$WORK/run.XXXXXX")"

"$BIN" --postgres "$PG" --clickhouse "127.0.0.1:$CH_HTTP" "$@"
