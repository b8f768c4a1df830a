// DuckDB peer for bench/run.sh: the same rules as SQL, through DuckDB's Node API.
//
//   node duckdb_peer.mjs <lvtr|aml> <transactions.csv> <rates.csv> <out.tsv> [threads] [last_activity.csv]
//
// Writes one line per finding, "rule<TAB>key values joined by |<TAB>txn_ids joined by ,",
// sorted, and prints the query time (seconds) as JSON on standard output.  Exact arithmetic
// throughout: amounts are read as text and cast to DECIMAL; times are parsed with their UTC
// offsets and moved to Asia/Shanghai (UTC+8, no daylight saving since 1991).
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [mix, txPath, ratesPath, outPath, threads = '2', lastActivityPath = ''] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const sql = readFileSync(join(here, `${mix}.duckdb.sql`), 'utf8')
  .replaceAll('$TX', txPath.replaceAll("'", "''"))
  .replaceAll('$RATES', ratesPath.replaceAll("'", "''"))
  .replaceAll('$LAST_ACTIVITY', lastActivityPath.replaceAll("'", "''"))
  .replaceAll('$OUT', outPath.replaceAll("'", "''"));

const instance = await DuckDBInstance.create(':memory:', { threads });
const connection = await instance.connect();
// The SQL expects TIMESTAMPTZ in UTC; the package loads ICU, whose default is the machine's zone.
await connection.run("SET TimeZone = 'UTC'");
// Spill beside the output (the benchmark's temporary directory), not into the working directory.
await connection.run(`SET temp_directory = '${join(dirname(outPath), 'duckdb.tmp').replaceAll("'", "''")}'`);
const started = process.hrtime.bigint();
const statements = sql
  .split('\n')
  .filter((line) => !line.trimStart().startsWith('--'))
  .join('\n')
  .split(/;\s*\n/)
  .map((s) => s.trim())
  .filter((s) => s);
for (const statement of statements) {
  await connection.run(statement);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ peer: 'duckdb', seconds }));
