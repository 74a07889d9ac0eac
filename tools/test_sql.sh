#!/bin/sh
# The SQL differential test against real servers (docs/sql.md): starts a throwaway PostgreSQL 15
# (Unix socket only, in a temporary folder) and a throwaway ClickHouse (127.0.0.1, free ports),
# runs seg_sql_differential against them and SQLite, and stops both whatever the outcome.
# Usage: tools/test_sql.sh SEG_SQL_DIFFERENTIAL WORK_DIR [extra arguments for it]
#   e.g. tools/test_sql.sh build/tests/seg_sql_differential /tmp/sqltest --tables 500 --seed 7
set -eu
BIN=$1
WORK=$2
shift 2
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "test_sql: PostgreSQL is not installed (tools/setup.sh installs it)" >&2; exit 1; }
command -v clickhouse-server >/dev/null || { echo "test_sql: clickhouse-server is not installed (tools/setup.sh installs it)" >&2; exit 1; }

mkdir -p "$WORK"
DIR=$(mktemp -d "$WORK/run.XXXXXX")
chmod 755 "$WORK" "$DIR"
PG_STARTED="" CH_PID=""
# PostgreSQL refuses to run as root: its files and process belong to the postgres user then.
AS_PG=""
if [ "$(id -u)" -eq 0 ]; then AS_PG="runuser -u postgres --"; fi

stop() {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$PG_STARTED" ]; then $AS_PG "$PGBIN/pg_ctl" -D "$DIR/pg/data" stop -m immediate >/dev/null 2>&1 || true; fi
  if [ -n "$CH_PID" ]; then
    kill "$CH_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$CH_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CH_PID" 2>/dev/null || true
  fi
  [ $status -eq 0 ] && rm -rf "$DIR"
  exit $status
}
trap stop EXIT INT TERM

# ---- PostgreSQL: initdb, then the server on a socket in $DIR/pg/sock (no TCP at all).
mkdir -p "$DIR/pg/sock"
[ -n "$AS_PG" ] && chown -R postgres "$DIR/pg"
$AS_PG "$PGBIN/initdb" -D "$DIR/pg/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >"$DIR/pg-initdb.log" 2>&1 ||
  { cat "$DIR/pg-initdb.log" >&2; exit 1; }
PG_STARTED=1
$AS_PG "$PGBIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
  -o "-k $DIR/pg/sock -c listen_addresses= -p 5432 -c fsync=off -c full_page_writes=off" start >/dev/null ||
  { cat "$DIR/pg/server.log" >&2; exit 1; }
PG="host=$DIR/pg/sock port=5432 user=postgres dbname=postgres"

# ---- ClickHouse: a two-file config in $DIR/ch; ports chosen at random and retried.
mkdir -p "$DIR/ch/data" "$DIR/ch/tmp" "$DIR/ch/uf"
cat >"$DIR/ch/users.xml" <<'EOF'
<yandex><profiles><default></default></profiles><users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users><quotas><default></default></quotas></yandex>
EOF
for attempt in 1 2 3 4 5; do
  BASE=$(( 20000 + ($$ * 7 + attempt * 131) % 40000 ))
  TCP=$BASE HTTP=$((BASE + 1))
  cat >"$DIR/ch/config.xml" <<EOF
<yandex><logger><level>warning</level><console>1</console></logger><tcp_port>$TCP</tcp_port><http_port>$HTTP</http_port><listen_host>127.0.0.1</listen_host><path>$DIR/ch/data/</path><tmp_path>$DIR/ch/tmp/</tmp_path><user_files_path>$DIR/ch/uf/</user_files_path><users_config>users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database><mark_cache_size>536870912</mark_cache_size></yandex>
EOF
  (cd "$DIR/ch" && exec clickhouse-server --config-file="$DIR/ch/config.xml" >"$DIR/ch/server.log" 2>&1) &
  CH_PID=$!
  ready=""
  for _ in $(seq 1 150); do
    if ! kill -0 "$CH_PID" 2>/dev/null; then break; fi
    if clickhouse-client --host 127.0.0.1 --port "$TCP" -q 'SELECT 1' >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.2
  done
  [ -n "$ready" ] && break
  kill "$CH_PID" 2>/dev/null || true
  wait "$CH_PID" 2>/dev/null || true
  CH_PID=""
done
[ -n "$CH_PID" ] || { echo "test_sql: ClickHouse did not start:" >&2; tail -20 "$DIR/ch/server.log" >&2; exit 1; }

"$BIN" --postgres "$PG" --clickhouse "127.0.0.1:$HTTP" "$@"
