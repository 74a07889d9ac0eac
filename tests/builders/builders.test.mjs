// The builders' half of the builders test (tools/test_builders.sh, docs/interop.md): the rule
// builders' own code reads seg's exports.
// - json-logic-js evaluates each exported JsonLogic rule, and the JsonLogic that
//   react-querybuilder's formatQuery makes of each exported query, on every row: both must
//   select exactly seg's members.
// - parseJsonLogic (exported JsonLogic -> a query) and formatQuery (exported query -> JsonLogic)
//   results go to builders.jsonl, which `seg_builders_corpus check` imports back.
// Usage: node builders.test.mjs DIR   (DIR has corpus.jsonl and rows.json)
import fs from 'node:fs';
import jsonLogic from 'json-logic-js';
import { formatQuery } from 'react-querybuilder/formatQuery';
import { parseJsonLogic } from 'react-querybuilder/parseJsonLogic';

const dir = process.argv[2];
const rows = JSON.parse(fs.readFileSync(`${dir}/rows.json`, 'utf8'));
const corpus = fs.readFileSync(`${dir}/corpus.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

let failures = 0;
let evaluations = 0;
const out = [];
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

for (const c of corpus) {
  const fromQuery = formatQuery(c.querybuilder, 'jsonlogic');
  for (const [what, rule] of [['the exported JsonLogic', c.jsonlogic], ["formatQuery's JsonLogic of the exported query", fromQuery]]) {
    const ids = rows.filter((r) => jsonLogic.truthy(jsonLogic.apply(rule, r))).map((r) => r.client_id);
    evaluations += rows.length;
    if (!same(ids, c.members)) {
      failures++;
      const missing = c.members.filter((x) => !ids.includes(x));
      const extra = ids.filter((x) => !c.members.includes(x));
      const row = rows.find((r) => r.client_id === (missing[0] ?? extra[0]));
      console.error(`rule ${c.i}: json-logic-js on ${what} selects ${ids.length} rows, seg ${c.members.length}`);
      console.error(`  rule:   ${c.rule}\n  json:   ${JSON.stringify(rule)}`);
      console.error(`  missing ${JSON.stringify(missing.slice(0, 5))} extra ${JSON.stringify(extra.slice(0, 5))}; first: ${JSON.stringify(row)}`);
    }
  }
  out.push(JSON.stringify({ i: c.i, rqb_from_jsonlogic: parseJsonLogic(c.jsonlogic), jsonlogic_from_rqb: fromQuery }));
}
fs.writeFileSync(`${dir}/builders.jsonl`, out.join('\n') + '\n');
console.log(`json-logic-js: ${corpus.length} rules x 2 documents x ${rows.length} rows (${evaluations} evaluations); ${failures} failures`);
process.exit(failures ? 1 : 0);
