// DuckDB for the SQL differential test (tests/sql/sql_differential.cpp): one in-memory
// database, driven over stdin/stdout one JSON request per line, one JSON answer per line.
//   {"op": "exec", "sql": "..."}                               -> {"ok": true}
//   {"op": "run", "sql": "...", "params": [V, ...]}             -> {"ok": true}  (an insert)
//   {"op": "query", "sql": "...", "params": [V, ...]}           -> {"ok": true, "ids": ["12", ...]}
// where V is null, {"i": "123"} (a 64-bit integer), {"s": "text"}, or {"l": [V, ...], "t":
// "BIGINT" | "VARCHAR"} (a list, typed: an empty one has no type of its own).
// Errors answer {"ok": false, "error": "..."}. Ids come back as decimal strings (64-bit exact).
import { BIGINT, DuckDBInstance, LIST, VARCHAR, listValue } from '@duckdb/node-api';
import { createInterface } from 'node:readline';

function value(v) {
  if (v === null) return null;
  if ('i' in v) return BigInt(v.i);
  if ('s' in v) return v.s;
  if ('l' in v) return listValue(v.l.map(value));
  throw new Error(`unknown parameter ${JSON.stringify(v)}`);
}

const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const connection = await instance.connect();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line) continue;
  let answer;
  try {
    const req = JSON.parse(line);
    const params = (req.params ?? []).map(value);
    const types = (req.params ?? []).map((v) => (v && 'l' in v ? LIST(v.t === 'BIGINT' ? BIGINT : VARCHAR) : undefined));
    if (req.op === 'exec') {
      await connection.run(req.sql);
      answer = { ok: true };
    } else if (req.op === 'run') {
      await connection.run(req.sql, params, types);
      answer = { ok: true };
    } else if (req.op === 'query') {
      const reader = await connection.runAndReadAll(req.sql, params, types);
      answer = { ok: true, ids: reader.getRows().map((r) => String(r[0])) };
    } else {
      throw new Error(`unknown op ${req.op}`);
    }
  } catch (e) {
    answer = { ok: false, error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
