// Normalizes Decree's findings.jsonl to the peers' TSV: rule, key values joined by |, txn_ids
// joined by ',' — one line per finding, sorted bytewise.
//
//   node normalize.mjs findings.jsonl out.tsv
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [input, output] = process.argv.slice(2);
const lines = [];
for await (const line of createInterface({ input: createReadStream(input) })) {
  if (!line) continue;
  const f = JSON.parse(line);
  const key = f.key ? Object.values(f.key).join('|') : '';
  lines.push(`${f.rule}\t${key}\t${f.txn_ids.join(',')}`);
}
lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
writeFileSync(output, lines.length ? lines.join('\n') + '\n' : '');
