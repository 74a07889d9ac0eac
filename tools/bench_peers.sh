#!/bin/sh
# Q1-Q6 side by side in seg, PostgreSQL, SQLite, DuckDB and ClickHouse, on the same reference
# data on this machine (docs/sql.md, docs/performance.md). Each engine runs the text `seg sql
# --inline` prints, unchanged, through its own shell (psql, sqlite3, clickhouse-client, and
# DuckDB's npm client through tests/sql/duckdb_shell.mjs): its members' count and checksum
# must be seg's, or the script says so and exits 1. Servers are throwaway instances
# (tools/sql_servers.sh), stopped whatever the outcome.
#
# Usage: tools/bench_peers.sh [--rows N] [--repeat R] [--check] [--seg BIN] [--work DIR]
#   --rows N     reference rows (default 1000000, or $SEG_PEERS_ROWS); the CSV and snapshot
#                are made once in DIR
#   --repeat R   timed runs per rule and engine after one warm-up (default 5; medians)
#   --check      only the counts and checksums (the test: SqlPeers.WorkloadRules)
#   --seg BIN    the seg binary (default build/seg)
#   --work DIR   where data, databases and servers live (default build/peers)
#   --index      then index player_id in PostgreSQL, SQLite and DuckDB and time the few-ids
#                rules (Q2 and R1, two player ids) again: seg's value index against theirs
#   --random N   then N random rules (tests/bench/rules, seed 1, none naming `now`) in seg
#                and DuckDB: each one's count and id sum must agree; ratios and the slowest
#   --duckdb-only  seg against DuckDB alone (no servers, no PostgreSQL, SQLite or ClickHouse):
#                issue 16's side-by-side, about half an hour at 10M; DuckDB's database is kept in DIR
#   --times FILE with --random: every random rule's line, tab-separated (id, seg ms, DuckDB ms,
#                MB seg read, seg's fastest run, DuckDB's fastest run, rule; times are medians
#                of the runs unless said), for a look past the slowest ten
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${SEG_PEERS_ROWS:-1000000} REPEAT=5 CHECK="" INDEX="" ONLY_DUCK="" RANDOM_RULES=0 SEG="$SRC/build/seg" WORK="$SRC/build/peers" TIMES=""
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --check) CHECK=1; shift ;;
    --index) INDEX=1; shift ;;
    --random) RANDOM_RULES=$2; shift 2 ;;
    --duckdb-only) ONLY_DUCK=1; shift ;;
    --seg) SEG=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --times) TIMES=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_peers: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$SEG" ] || { echo "bench_peers: no seg binary at $SEG (build it: tools/build.sh)" >&2; exit 2; }
DUCK_SHELL="$SRC/tests/sql/duckdb_shell.mjs"
[ -d "$SRC/tests/sql/node_modules/@duckdb/node-api" ] ||
  (cd "$SRC/tests/sql" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

mkdir -p "$WORK"
chmod 755 "$WORK"
WORK=$(cd "$WORK" && pwd)
CSV="$WORK/clients-$ROWS.csv"
SNAP="$WORK/clients-$ROWS.seg"
[ -f "$CSV" ] || "$SEG" gen --rows "$ROWS" -o "$CSV"
[ -f "$SNAP" ] || "$SEG" convert "$CSV" -o "$SNAP" >/dev/null
chmod 644 "$CSV"

. "$SRC/tools/sql_servers.sh"
RUN=$(mktemp -d "$WORK/run.XXXXXX")
# The run's folder goes when the script succeeds and stays for a look otherwise: the servers'
# trap does that; with --duckdb-only there are no servers, so this trap does.
if [ -n "$ONLY_DUCK" ]; then
  trap 'status=$?; [ "$status" -ne 0 ] || rm -rf "$RUN"; exit "$status"' EXIT
  trap 'exit 130' INT TERM
else
  sql_servers_start "$RUN"
fi

psql_run() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -U postgres -d postgres "$@"; }
ch_run() { clickhouse-client --host 127.0.0.1 --port "$CH_TCP" --multiquery "$@"; }
SQLITE_DB="$RUN/clients.sqlite"
DUCK_DB="$RUN/clients.duckdb"
duck_run() { node "$DUCK_SHELL" "$DUCK_DB" "$@"; }

# ---- load the same CSV into each engine, into the tables `seg sql --create-tables` prints
COLS="stage, tags, spot, player_id, client_id, deposit_total, registered_at, last_active_at, country"
t0=$(date +%s.%N)
if [ -z "$ONLY_DUCK" ]; then
"$SEG" sql --create-tables -d postgres | psql_run -f -
psql_run <<EOF
CREATE TEMP TABLE staging (client_id bigint, player_id bigint, spot bigint, stage text, tags text,
  deposit_total numeric(18, 2), registered_at timestamp, last_active_at timestamp, country text);
\copy staging FROM '$CSV' WITH (FORMAT csv, HEADER true)
INSERT INTO clients ($COLS) SELECT stage, COALESCE(string_to_array(tags, '|'), '{}'), spot, player_id,
  client_id, deposit_total, registered_at, last_active_at, country FROM staging;
VACUUM ANALYZE clients;
EOF
t1=$(date +%s.%N)
{
  "$SEG" sql --create-tables -d sqlite
  cat <<EOF
CREATE TEMP TABLE staging (client_id, player_id, spot, stage, tags, deposit_total, registered_at, last_active_at, country);
.import --csv --skip 1 $CSV staging
BEGIN;
INSERT INTO clients (stage, spot, player_id, client_id, deposit_total, registered_at, last_active_at, country)
  SELECT stage, spot, player_id, client_id, CAST(replace(deposit_total, '.', '') AS INTEGER), registered_at,
         NULLIF(last_active_at, ''), NULLIF(country, '') FROM staging;
INSERT INTO client_tags (client_id, tag)
  SELECT s.client_id, j.value FROM staging s, json_each('["' || replace(s.tags, '|', '","') || '"]') j WHERE s.tags <> '';
COMMIT;
ANALYZE;
EOF
} | sqlite3 -bail "$SQLITE_DB"
fi
t2=$(date +%s.%N)
if [ -n "$ONLY_DUCK" ]; then  # loaded once into DIR, copied (the --index run adds an index)
  [ -f "$WORK/clients-$ROWS.duckdb" ] || sh "$SRC/tools/duckdb_load.sh" "$SEG" "$CSV" "$WORK/clients-$ROWS.duckdb"
  cp "$WORK/clients-$ROWS.duckdb" "$DUCK_DB"
else
  sh "$SRC/tools/duckdb_load.sh" "$SEG" "$CSV" "$DUCK_DB"
fi
t3=$(date +%s.%N)
if [ -z "$ONLY_DUCK" ]; then
"$SEG" sql --create-tables -d clickhouse | ch_run
ch_run -q "CREATE TABLE staging (client_id Int64, player_id Int64, spot Int64, stage String, tags String,
  deposit_total String, registered_at String, last_active_at String, country String) ENGINE = Memory"
ch_run -q "INSERT INTO staging FORMAT CSVWithNames" <"$CSV"
# (ClickHouse evaluates both branches of if(): the empty time is replaced before it is parsed.)
ch_run -q "INSERT INTO clients ($COLS) SELECT stage, if(tags = '', CAST([] AS Array(String)), splitByChar('|', tags)),
  spot, player_id, client_id, toDecimal64(deposit_total, 2),
  toDateTime(replaceAll(replaceAll(registered_at, 'T', ' '), 'Z', ''), 'UTC'),
  if(last_active_at = '', NULL,
     toDateTime(replaceAll(replaceAll(if(last_active_at = '', '1970-01-01 00:00:00', last_active_at), 'T', ' '), 'Z', ''), 'UTC')),
  if(country = '', NULL, country) FROM staging"
ch_run -q "DROP TABLE staging"
fi
t4=$(date +%s.%N)
if [ -n "$ONLY_DUCK" ]; then
  awk -v r="$ROWS" -v c="$t2" -v d="$t3" 'BEGIN { printf "loaded %d rows: duckdb %.1f s (or copied from DIR)\n", r, d - c }' >&2
else
awk -v r="$ROWS" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" 'BEGIN {
  printf "loaded %d rows: postgres %.1f s, sqlite %.1f s, duckdb %.1f s, clickhouse %.1f s\n", r, b - a, c - b, d - c, e - d }' >&2
fi

# ---- seg's own figures: count, checksum and median time of each rule (Q1-Q6, and R1: two
# player ids, the few-ids case of docs/runtime.md)
R1="player_id in (1014515, 1010643) and tag none (BLOCKED)"
"$SEG" bench --data "$SNAP" --repeat "$([ -n "$CHECK" ] && echo 1 || echo "$REPEAT")" --rule "$R1" --format json --no-bound >"$RUN/seg.json"
node -e '
  const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const r of b.rules) console.log([r.id, r.count, r.checksum, r.median_ms, b.bytes_per_client, r.rule].join("\t"));
' "$RUN/seg.json" >"$RUN/rules.tsv"

# ---- the other way: seg's store loaded straight from the PostgreSQL table (COPY, streamed)
if [ -z "$ONLY_DUCK" ]; then
t5=$(date +%s.%N)
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "%M" -o "$RUN/convert.rss" "$SEG" convert --from-postgres "$PG" -o "$RUN/from-pg.seg" 2>"$RUN/convert.log"
else
  "$SEG" convert --from-postgres "$PG" -o "$RUN/from-pg.seg" 2>"$RUN/convert.log"
fi
t6=$(date +%s.%N)
# Q1-Q6 on snapshot $1 must answer as on the CSV (counts and checksums); $2 says where it came from.
same_answers() {
  "$SEG" bench --data "$1" --repeat 1 --rule "$R1" --format json --no-bound >"$1.json"
  node -e '
    const [a, b] = process.argv.slice(1, 3).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
    const key = (j) => j.rules.map((r) => `${r.id} ${r.count} ${r.checksum}`).join("\n");
    if (a.rows !== b.rows || key(a) !== key(b)) {
      console.error(`MISMATCH: ${process.argv[3]} answers otherwise:\n${key(b)}\nthe CSV:\n${key(a)}`);
      process.exit(1);
    }
  ' "$RUN/seg.json" "$1.json" "$2"
}
same_answers "$RUN/from-pg.seg" "the snapshot loaded from PostgreSQL"
awk -v r="$ROWS" -v a="$t5" -v b="$t6" -v m="$(cat "$RUN/convert.rss" 2>/dev/null || echo 0)" 'BEGIN {
  printf "seg convert --from-postgres: %d rows in %.1f s, peak %.0f MB resident; Q1-Q6 answer as from the CSV\n", r, b - a, m / 1024 }' >&2
# Other engines' recipe (docs/sql.md): their CSV export piped into `seg convert -`.
ch_run -q "SELECT client_id, player_id, spot, stage, arrayStringConcat(tags, '|') AS tags, deposit_total,
  formatDateTime(registered_at, '%Y-%m-%dT%H:%M:%SZ', 'UTC') AS registered_at,
  if(isNull(last_active_at), '', formatDateTime(assumeNotNull(last_active_at), '%Y-%m-%dT%H:%M:%SZ', 'UTC')) AS last_active_at,
  ifNull(country, '') AS country FROM clients FORMAT CSVWithNames" | "$SEG" convert - -o "$RUN/from-ch.seg" 2>"$RUN/from-ch.log" ||
  { echo "MISMATCH: ClickHouse's CSV export does not convert:" >&2; head -5 "$RUN/from-ch.log" >&2; exit 1; }
sqlite3 -csv -header "$SQLITE_DB" "SELECT client_id, player_id, spot, stage,
  (SELECT group_concat(tag, '|') FROM client_tags t WHERE t.client_id = c.client_id) AS tags,
  CASE WHEN deposit_total < 0 THEN '-' ELSE '' END || printf('%d.%02d', abs(deposit_total) / 100, abs(deposit_total) % 100) AS deposit_total,
  registered_at, last_active_at, country FROM clients c" | "$SEG" convert - -o "$RUN/from-sqlite.seg" 2>"$RUN/from-sqlite.log" ||
  { echo "MISMATCH: SQLite's CSV export does not convert:" >&2; head -5 "$RUN/from-sqlite.log" >&2; exit 1; }
same_answers "$RUN/from-ch.seg" "ClickHouse's CSV export"
same_answers "$RUN/from-sqlite.seg" "SQLite's CSV export"
echo "ClickHouse's and SQLite's CSV exports piped into seg convert -: Q1-Q6 answer as from the CSV" >&2

# A bad row names its line, as a CSV's would: one client gets a stage the schema lacks.
psql_run -c "CREATE TABLE bad_clients AS SELECT * FROM clients ORDER BY client_id LIMIT 10; UPDATE bad_clients SET stage = 'Nope' WHERE client_id = 7"
if "$SEG" convert --from-postgres "$PG" --table bad_clients -o "$RUN/bad.seg" 2>"$RUN/bad.log"; then
  echo "MISMATCH: a PostgreSQL row with an unknown stage loaded" >&2; exit 1
fi
grep -q "^postgres:bad_clients:[0-9]*: column 1 (stage): error\[E706\]: .Nope. is not a value of stage" "$RUN/bad.log" ||
  { echo "MISMATCH: the bad PostgreSQL row gets no E706 naming postgres:bad_clients and its line:" >&2; cat "$RUN/bad.log" >&2; exit 1; }
# Era: PostgreSQL's 1 BC is seg's year 0 (as `seg sql` writes it), and an earlier BC year is
# refused, not loaded as the same year AD (found by a review: to_char's YYYY dropped the era).
psql_run -c "CREATE TABLE bc_clients AS SELECT * FROM clients ORDER BY client_id LIMIT 3;
  UPDATE bc_clients SET registered_at = TIMESTAMP '0001-06-01 00:00:00 BC' WHERE client_id = (SELECT min(client_id) FROM bc_clients)"
"$SEG" convert --from-postgres "$PG" --table bc_clients -o "$RUN/bc.seg" 2>"$RUN/bc.log" ||
  { echo "MISMATCH: a PostgreSQL row in 1 BC does not convert:" >&2; cat "$RUN/bc.log" >&2; exit 1; }
[ "$("$SEG" eval 'registered_at = 0000-06-01' --data "$RUN/bc.seg" --count)" = 1 ] ||
  { echo "MISMATCH: PostgreSQL's 1 BC is not seg's year 0 after convert" >&2; exit 1; }
psql_run -c "UPDATE bc_clients SET registered_at = TIMESTAMP '0044-03-15 00:00:00 BC' WHERE client_id = (SELECT min(client_id) FROM bc_clients)"
if "$SEG" convert --from-postgres "$PG" --table bc_clients -o "$RUN/bc2.seg" 2>"$RUN/bc2.log"; then
  echo "MISMATCH: a PostgreSQL row in 44 BC loaded" >&2; exit 1
fi
grep -q "error\[E705\]" "$RUN/bc2.log" ||
  { echo "MISMATCH: a PostgreSQL row in 44 BC gets no E705:" >&2; cat "$RUN/bc2.log" >&2; exit 1; }
fi  # ONLY_DUCK

# Count and checksum (the client ids' sum) of the ids an engine printed, one a line.
tally() { awk '{ n++; s += $1 } END { printf "%d %.0f\n", n, s }'; }
# Median of numbers, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "?" }'; }

run_engine() {  # ENGINE FILE: the statements' output
  case $1 in
    postgres) psql_run -f "$2" ;;
    sqlite) sqlite3 -bail "$SQLITE_DB" <"$2" ;;
    duckdb) duck_run <"$2" ;;
    clickhouse) ch_run <"$2" ;;
  esac
}

time_engine() {  # ENGINE FILE: median ms of REPEAT runs after one warm-up
  case $1 in
    postgres) { echo 'SET max_parallel_workers_per_gather = 0;'; printf '%s\n' '\timing on'; i=0; while [ $i -le "$REPEAT" ]; do cat "$2"; i=$((i + 1)); done; } |
                psql -X -q -A -t -h "$PG_SOCK" -U postgres -d postgres -f - | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n +2 | median ;;
    sqlite) { echo '.timer on'; i=0; while [ $i -le "$REPEAT" ]; do cat "$2"; i=$((i + 1)); done; } |
              sqlite3 "$SQLITE_DB" | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' | tail -n +2 | awk '{ print $1 * 1000 }' | median ;;
    duckdb) duck_run --time "$REPEAT" <"$2" 2>&1 >/dev/null | sed -n 's/^time_ms //p' ;;
    clickhouse) i=0; while [ $i -le "$REPEAT" ]; do cat "$2"; i=$((i + 1)); done |
                  ch_run --time --max_threads 1 2>&1 >/dev/null | tail -n +2 | awk '{ print $1 * 1000 }' | median ;;
  esac
}

bad=0
# Runs the rules of $RUN/rules.tsv whose id matches $1 (an awk pattern) in the engines $ENGINES;
# the markdown table is left in $table.
compare() {
ENGINES_HEAD=$(for e in $ENGINES; do case $e in postgres) printf ' PostgreSQL |' ;; sqlite) printf ' SQLite |' ;;
  duckdb) printf ' DuckDB |' ;; clickhouse) printf ' ClickHouse |' ;; esac; done)
table="| rule | seg |$ENGINES_HEAD\n|---|---|$(for e in $ENGINES; do printf -- '---|'; done)\n"
awk -F '\t' -v p="$1" '$1 ~ p' "$RUN/rules.tsv" >"$RUN/some.tsv"
while IFS="$(printf '\t')" read -r id count checksum seg_ms per_client rule; do
  results=""  # per engine: its median ms, "ok" (--check) or "MISMATCH"
  for e in $ENGINES; do
    "$SEG" sql -d "$e" --inline "$rule" >"$RUN/$id-$e.sql"
    got=$(run_engine "$e" "$RUN/$id-$e.sql" | tally)
    "$SEG" sql -d "$e" --inline --count "$rule" >"$RUN/$id-$e-count.sql"
    got_count=$(run_engine "$e" "$RUN/$id-$e-count.sql" | tr -d ' \r')
    if [ "$got" != "$count $checksum" ] || [ "$got_count" != "$count" ]; then
      echo "MISMATCH: $id in $e: count and checksum $got (count(*) $got_count), seg $count $checksum" >&2
      echo "  the statement: $RUN/$id-$e.sql" >&2
      bad=1
      results="$results MISMATCH"
    elif [ -n "$CHECK" ]; then
      results="$results ok"
    else
      ms=$(time_engine "$e" "$RUN/$id-$e-count.sql")
      results="$results ${ms:-failed}"
    fi
  done
  if [ -z "$CHECK" ]; then
    # seg timed again right after the engines, under the same load: one pass over Q1-Q6 at
    # the start, minutes before the engines' runs, read 1.5-2x high on a busy machine.
    seg_ms=$("$SEG" bench --data "$SNAP" --repeat "$REPEAT" --rule "$rule" --format json --no-bound |
      node -e 'const b = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(b.rules[b.rules.length - 1].median_ms)')
  fi
  line="| $id | $(printf '%.3f' "$seg_ms") ms |"
  for r in $results; do
    case $r in
      MISMATCH|ok|failed) line="$line $r |" ;;
      *) line="$line $(awk -v m="$r" -v s="$seg_ms" 'BEGIN { printf "%.1f ms (%.0fx)", m, m / s }') |" ;;
    esac
  done
  table="$table$line\n"
  echo "$id: seg $count $checksum; $ENGINES agree" >&2
done <"$RUN/some.tsv"
}
ENGINES="postgres sqlite duckdb clickhouse"
[ -z "$ONLY_DUCK" ] || ENGINES="duckdb"
compare '.'

if [ -z "$CHECK" ]; then
  per_client=$(head -1 "$RUN/rules.tsv" | cut -f5)
  duck_bytes=$(stat -c %s "$DUCK_DB")
  bpc() { awk -v b="$1" -v r="$ROWS" 'BEGIN { printf "%.1f", b / r }'; }
  if [ -n "$ONLY_DUCK" ]; then
    table="$table| bytes per client | $(printf '%.1f' "$per_client") (resident) | $(bpc "$duck_bytes") (file) |\n"
  else
    pg_bytes=$(psql_run -c "SELECT pg_total_relation_size('clients')")
    lite_bytes=$(stat -c %s "$SQLITE_DB")
    ch_bytes=$(ch_run -q "SELECT sum(bytes_on_disk) FROM system.parts WHERE table = 'clients' AND active")
    table="$table| bytes per client | $(printf '%.1f' "$per_client") (resident) | $(bpc "$pg_bytes") (table + index) | $(bpc "$lite_bytes") (file) | $(bpc "$duck_bytes") (file) | $(bpc "$ch_bytes") (parts) |\n"
  fi
fi
if [ -n "$ONLY_DUCK" ]; then
  printf "\nQ1-Q6 at %s rows, count(*) of each rule, seg and DuckDB (threads 1) interleaved rule by rule;\nmedian of %s runs after a warm-up, each engine's own timing\n\n" "$ROWS" "$REPEAT"
else
  printf "\nQ1-Q6 at %s rows, count(*) of each rule, engines interleaved rule by rule, one thread each\n(PostgreSQL without parallel workers, ClickHouse max_threads 1, DuckDB threads 1); median of %s\nruns after a warm-up, each engine's own timing\n\n" "$ROWS" "$REPEAT"
fi
printf "$table"
if [ -n "$INDEX" ]; then
  # The engines that have secondary indexes get one on player_id; ClickHouse 18.16 has none
  # beyond its sorting key.
  if [ -z "$ONLY_DUCK" ]; then
    psql_run -c "CREATE INDEX clients_player ON clients (player_id); ANALYZE clients"
    sqlite3 "$SQLITE_DB" "CREATE INDEX clients_player ON clients (player_id); ANALYZE"
    ENGINES="postgres sqlite duckdb"
  fi
  echo "CREATE INDEX clients_player ON clients (player_id);" | duck_run >/dev/null
  compare '^(Q2|R1)$'
  printf "\nThe few-ids rules again, with an index on player_id in each engine (B-tree; DuckDB's ART)\n\n"
  printf "$table"
fi
printf "\nR1: %s\n" "$R1"
if [ "$RANDOM_RULES" -gt 0 ]; then
  # Random rules, seg against DuckDB (its columnar scan is the closest to seg's), rule by rule:
  # DuckDB's runs, then seg's on the same rule, so both are timed under the same load (a pass
  # of seg over all of them first ran 1.4-1.6x high on this shared machine); the members must
  # agree (count and id sum, from that first pass).
  GEN=$(dirname "$SEG")/tests/seg_random_rules
  [ -x "$GEN" ] || GEN="$SRC/build/tests/seg_random_rules"
  "$GEN" "$RANDOM_RULES" 1 >"$RUN/random.txt"
  "$SEG" bench --data "$SNAP" --repeat "$REPEAT" --rules-file "$RUN/random.txt" --format json --no-bound >"$RUN/random.json"
  node -e '
    const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const r of b.rules) if (r.id.startsWith("R")) console.log([r.id, r.count, r.checksum, r.bytes_read, r.rule].join("\t"));
  ' "$RUN/random.json" >"$RUN/random.tsv"
  : >"$RUN/random-times.tsv"
  while IFS="$(printf '\t')" read -r id count checksum bytes rule; do
    { printf 'SELECT count(*), coalesce(sum(client_id), 0) FROM clients WHERE '; "$SEG" sql -d duckdb --inline --where "$rule"; echo ';'; } >"$RUN/$id-sum.sql"
    got=$(duck_run <"$RUN/$id-sum.sql" | tr -d ' \r"' | tr '\t|' ',,')
    if [ "$got" != "$count,$checksum" ]; then
      echo "MISMATCH: random rule $id in duckdb: $got, seg $count,$checksum: $rule" >&2
      bad=1
      continue
    fi
    "$SEG" sql -d duckdb --inline --count "$rule" >"$RUN/$id-count.sql"
    duck=$(duck_run --time "$REPEAT" <"$RUN/$id-count.sql" 2>&1 >/dev/null | awk '/^time_ms / { m = $2 } /^min_ms / { f = $2 } END { print m "\t" f }')
    seg_ms=$("$SEG" bench --data "$SNAP" --repeat "$REPEAT" --rule "$rule" --format json --no-bound |
      node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")).rules.at(-1); console.log(r.median_ms + "\t" + r.min_ms)')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "${seg_ms%%	*}" "${duck%%	*}" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')" \
      "${seg_ms#*	}" "${duck#*	}" "$rule" >>"$RUN/random-times.tsv"
  done <"$RUN/random.tsv"
  node -e '
    const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => {
      const [id, seg, duck, mb, segMin, duckMin, rule] = l.split("\t", 7);
      return { id, seg: +seg, duck: +duck, rule, ratio: +duck / +seg, fastest: +duckMin / +segMin };
    }).sort((a, b) => a.ratio - b.ratio);
    const q = (p, key) => rows.map((r) => r[key]).sort((a, b) => a - b)[Math.min(rows.length - 1, Math.floor(p * rows.length))];
    const line = (key) => `slowest ${q(0, key).toFixed(1)}x, 10th percentile ${q(0.1, key).toFixed(1)}x, median ${q(0.5, key).toFixed(1)}x, fastest ${q(1, key).toFixed(1)}x`;
    console.log(`\n${rows.length} random rules, seg against DuckDB (threads 1), DuckDB time / seg time:`);
    console.log(`median runs:  ${line("ratio")}`);
    // Noise on a shared host only adds time, and it hits a scan bound by memory (seg) more
    // than one bound by its CPU (DuckDB): the fastest run of each is the other view.
    console.log(`fastest runs: ${line("fastest")}\n`);
    console.log("| rule | seg ms | DuckDB ms | ratio | text |\n|---|---|---|---|---|");
    for (const r of rows.slice(0, 10))
      console.log(`| ${r.id} | ${r.seg.toFixed(3)} | ${r.duck.toFixed(1)} | ${r.ratio.toFixed(1)}x | \`${r.rule.replace(/\|/g, "\\|")}\` |`);
  ' "$RUN/random-times.tsv"
  [ -z "$TIMES" ] || cp "$RUN/random-times.tsv" "$TIMES"
fi
[ $bad -eq 0 ] || { echo "bench_peers: an engine's members differ from seg's (above)" >&2; exit 1; }
