// A minimal DuckDB shell over the npm client (Debian has no DuckDB): runs the SQL on stdin
// (statements separated by `;`, `--` comments allowed) against a database file and prints
// each result row tab-separated, as the other engines' shells do. With --time N, runs the
// last statement N more times and prints `time_ms <median>` to stderr. Used by
// tools/bench_peers.sh to run `seg sql` output unchanged.
//   node tests/sql/duckdb_shell.mjs DB_FILE [--time N] < statements.sql
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [file, flag, count] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node duckdb_shell.mjs DB_FILE [--time N] < statements.sql\n');
  process.exit(2);
}
const repeat = flag === '--time' ? Number(count) : 0;
const sql = readFileSync(0, 'utf8');
const instance = await DuckDBInstance.create(file, { threads: '1' });
const connection = await instance.connect();
try {
  const statements = (await connection.extractStatements(sql));
  let last = null;
  for (let i = 0; i < statements.count; ++i) {
    const prepared = await statements.prepare(i);
    const reader = await prepared.runAndReadAll();
    last = prepared;
    const out = reader.getRows().map((r) => r.map((v) => (v === null ? '' : String(v))).join('\t'));
    if (out.length) process.stdout.write(out.join('\n') + '\n');
  }
  if (repeat > 0 && last) {
    const times = [];
    for (let i = 0; i < repeat; ++i) {
      const t0 = process.hrtime.bigint();
      await last.runAndReadAll();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    process.stderr.write(`time_ms ${times[Math.floor(times.length / 2)]}\n`);
  }
} catch (e) {
  process.stderr.write(`duckdb: ${e.message}\n`);
  process.exit(1);
}
