# Throwaway PostgreSQL and ClickHouse servers for tests and benchmarks, sourced by
# tools/test_sql.sh and tools/bench_peers.sh: `sql_servers_start DIR` starts both in DIR (and
# traps EXIT, HUP, INT, PIPE and TERM to stop them, whatever the outcome: a reader of its
# output that went away had left both running), then sets
#   PG       a libpq connection string (Unix socket in DIR/pg/sock, no TCP)
#   PG_SOCK  that socket's folder (psql -h)
#   CH_TCP   ClickHouse's native port on 127.0.0.1 (clickhouse-client --port)
#   CH_HTTP  its HTTP port
# DIR is removed when the script exits with 0 and kept for a look otherwise.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PG_STARTED="" CH_PID="" SQL_SERVERS_DIR=""
# PostgreSQL refuses to run as root: its files and process belong to the postgres user then.
AS_PG=""
if [ "$(id -u)" -eq 0 ]; then AS_PG="runuser -u postgres --"; fi

sql_servers_stop() {
  status=$?
  trap - EXIT HUP INT PIPE TERM
  # fast, not immediate: pg_ctl returns once every server process is gone (immediate leaves
  # children writing while the folder is removed).
  if [ -n "$PG_STARTED" ]; then $AS_PG "$PGBIN/pg_ctl" -D "$SQL_SERVERS_DIR/pg/data" stop -m fast -w -t 30 >/dev/null 2>&1 || true; fi
  if [ -n "$CH_PID" ]; then
    kill "$CH_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$CH_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CH_PID" 2>/dev/null || true
    wait "$CH_PID" 2>/dev/null || true
  fi
  # (A server still flushing as it dies can make an rm meet a new file: try again.)
  if [ "$status" -eq 0 ] && [ -n "$SQL_SERVERS_DIR" ]; then
    for _ in 1 2 3 4 5; do
      rm -rf "$SQL_SERVERS_DIR" 2>/dev/null && break
      sleep 1
    done
  fi
  exit "$status"
}

sql_servers_start() {
  [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL is not installed (tools/setup.sh installs it)" >&2; exit 1; }
  command -v clickhouse-server >/dev/null || { echo "clickhouse-server is not installed (tools/setup.sh installs it)" >&2; exit 1; }
  [ -n "$1" ] && [ -d "$1" ] || { echo "sql_servers_start: no folder" >&2; exit 1; }
  SQL_SERVERS_DIR=$1
  dir=$1
  chmod 755 "$dir"
  trap sql_servers_stop EXIT HUP INT PIPE TERM

  # PostgreSQL: initdb, then the server on a socket in $dir/pg/sock (no TCP at all).
  mkdir -p "$dir/pg/sock"
  if [ -n "$AS_PG" ]; then chown -R postgres "$dir/pg"; fi
  $AS_PG "$PGBIN/initdb" -D "$dir/pg/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/pg-initdb.log" 2>&1 ||
    { cat "$dir/pg-initdb.log" >&2; exit 1; }
  PG_STARTED=1
  $AS_PG "$PGBIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
    -o "-k $dir/pg/sock -c listen_addresses= -p 5432 -c fsync=off -c full_page_writes=off" start >/dev/null ||
    { cat "$dir/pg/server.log" >&2; exit 1; }
  PG_SOCK="$dir/pg/sock"
  PG="host=$PG_SOCK port=5432 user=postgres dbname=postgres"

  # ClickHouse: a two-file config in $dir/ch; ports chosen at random and retried.
  mkdir -p "$dir/ch/data" "$dir/ch/tmp" "$dir/ch/uf"
  echo '<yandex><profiles><default></default></profiles><users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users><quotas><default></default></quotas></yandex>' \
    >"$dir/ch/users.xml"
  for attempt in 1 2 3 4 5; do
    base=$(( 20000 + ($$ * 7 + attempt * 131) % 40000 ))
    CH_TCP=$base
    CH_HTTP=$((base + 1))
    echo "<yandex><logger><level>warning</level><console>1</console></logger><tcp_port>$CH_TCP</tcp_port><http_port>$CH_HTTP</http_port><listen_host>127.0.0.1</listen_host><path>$dir/ch/data/</path><tmp_path>$dir/ch/tmp/</tmp_path><user_files_path>$dir/ch/uf/</user_files_path><users_config>users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database><mark_cache_size>536870912</mark_cache_size></yandex>" \
      >"$dir/ch/config.xml"
    (cd "$dir/ch" && exec clickhouse-server --config-file="$dir/ch/config.xml" >"$dir/ch/server.log" 2>&1) &
    CH_PID=$!
    ready=""
    for _ in $(seq 1 150); do
      if ! kill -0 "$CH_PID" 2>/dev/null; then break; fi
      if clickhouse-client --host 127.0.0.1 --port "$CH_TCP" -q 'SELECT 1' >/dev/null 2>&1; then ready=1; break; fi
      sleep 0.2
    done
    [ -n "$ready" ] && break
    kill "$CH_PID" 2>/dev/null || true
    wait "$CH_PID" 2>/dev/null || true
    CH_PID=""
  done
  [ -n "$CH_PID" ] || { echo "ClickHouse did not start:" >&2; tail -20 "$dir/ch/server.log" >&2; exit 1; }
}
