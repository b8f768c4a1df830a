// Runs SQL on DuckDB through its Node API, for tests/duckdb_rules_test.py (the rules
// `decree sql --dialect duckdb` lowers): the statements of SETUP (tables and loads), then each
// statement of QUERIES, whose rows go to OUT_DIR/<n>.tsv (n from 0, one line per row, values
// joined by tabs).  Statements are separated by a semicolon at the end of a line.
//
//   node duckdb_sql.mjs SETUP.sql QUERIES.sql OUT_DIR
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [setupPath, queriesPath, outDir] = process.argv.slice(2);
const statements = (path) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter((s) => s);

const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();
await connection.run("SET TimeZone = 'UTC'");
for (const s of statements(setupPath)) await connection.run(s);
let n = 0;
for (const q of statements(queriesPath)) {
  try {
    const reader = await connection.runAndReadAll(q);
    const rows = reader.getRows().map((r) => r.map((v) => (v === null ? '\\N' : String(v))).join('\t'));
    writeFileSync(join(outDir, `${n}.tsv`), rows.length ? rows.join('\n') + '\n' : '');
  } catch (e) {
    console.error(`statement ${n} failed: ${e.message}\n${q.slice(0, 2000)}`);
    process.exit(1);
  }
  n++;
}
