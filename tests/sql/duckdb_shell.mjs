// A minimal DuckDB shell over the npm client (Debian has no DuckDB): runs the SQL on stdin
// (statements separated by `;`, `--` comments allowed) against a database file and prints
// each result row tab-separated, as the other engines' shells do. With --time N, runs the
// last statement N more times and prints `time_ms <median>` and `min_ms <fastest>` to stderr. Used by
// tools/bench_peers.sh to run `seg sql` output unchanged. With --passes N, runs all the
// statements N times over (results printed from the first pass) and prints `pass_ms <ms>` to
// stderr for each pass, also for one pass with --timed (tools/bench_membership.sh: many
// segments' queries one after another).
//   node tests/sql/duckdb_shell.mjs DB_FILE [--time N | --passes N [--timed]] < statements.sql
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [file, flag, count] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node duckdb_shell.mjs DB_FILE [--time N] < statements.sql\n');
  process.exit(2);
}
const repeat = flag === '--time' ? Number(count) : 0;
const passes = flag === '--passes' ? Number(count) : 1;
const timed = process.argv.includes('--timed');  // with --passes 1: still print pass_ms
const sql = readFileSync(0, 'utf8');
const instance = await DuckDBInstance.create(file, { threads: '1' });
const connection = await instance.connect();
try {
  const statements = (await connection.extractStatements(sql));
  let last = null;
  const prepared = [];  // in the first pass each is prepared just before it runs (it may need the one before)
  for (let pass = 0; pass < passes; ++pass) {
    const t0 = process.hrtime.bigint();
    const out = [];
    for (let i = 0; i < statements.count; ++i) {
      if (pass === 0) prepared.push(await statements.prepare(i));
      const p = prepared[i];
      const reader = await p.runAndReadAll();
      last = p;
      // (A loop, not push(...rows): a member listing has more rows than a call has room for arguments.)
      if (pass === 0) for (const r of reader.getRows()) out.push(r.map((v) => (v === null ? '' : String(v))).join('\t'));
    }
    if (passes > 1 || timed) process.stderr.write(`pass_ms ${Number(process.hrtime.bigint() - t0) / 1e6}\n`);
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
    process.stderr.write(`time_ms ${times[Math.floor(times.length / 2)]}\nmin_ms ${times[0]}\n`);
  }
} catch (e) {
  process.stderr.write(`duckdb: ${e.message}\n`);
  process.exit(1);
}
