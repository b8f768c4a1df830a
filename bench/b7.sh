#!/usr/bin/env bash
# B7 (called by bench/run.sh B7): fund-flow tracing.  aml.layering_chain and aml.round_trip
# (rulesets/aml-typologies/flows.decree) over a generated transfer graph with planted flows,
# Decree against DuckDB's recursive CTEs (bench/peers/flows.duckdb.sql) on the same file.
#
#   bench/run.sh B7 [--rows 1000000] [--runs 3] [--no-write]
#
# The batch: decree-gen --transfers --flows 20 --mix retail: every row a CNY transfer out to
# another customer's account (250,000 customers), 2 % of the generator's draws a planted flow
# (chains, cycles, scatter-gather, near misses at every boundary).  Both sides' findings are
# normalised to (rule, first account|first txn, paths as txn ids) and must be identical, or the
# benchmark fails.  Times are wall clock of the whole process (/usr/bin/time); DuckDB's query
# time inside its process is reported too, and the ratio uses it (the figure most favourable to
# DuckDB).  Peak memory is the process's maximum RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rows=1000000
runs=3
write=1
while (($#)); do
  case "$1" in
    --rows|--sizes) rows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-write) write=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh B7: unknown option $1" >&2; exit 2 ;;
  esac
done
((runs >= 1)) || { echo "bench/run.sh B7: --runs must be at least 1" >&2; exit 2; }

build=${DECREE_BUILD_DIR:-build}
decree=$build/decree
gen=$build/decree-gen
for tool in "$decree" "$gen" /usr/bin/time node npm; do
  command -v "$tool" >/dev/null || [[ -x "$tool" ]] || { echo "bench/run.sh B7: $tool is missing: run scripts/setup.sh first" >&2; exit 1; }
done
if [[ ! -d bench/node_modules/@duckdb/node-api ]]; then
  echo "bench: installing the DuckDB peer (npm ci in bench/)" >&2
  (cd bench && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

data=${DECREE_BENCH_DATA:-bench/data}
mkdir -p "$data"
batch="$data/b7-$rows-s7.csv"
stamp="$batch.gen"
gen_hash=$(sha256sum "$gen" | cut -c1-16)
if [[ ! -f "$batch" || "$(cat "$stamp" 2>/dev/null)" != "$gen_hash" ]]; then
  echo "bench: generating $batch" >&2
  "$gen" --rows "$rows" --seed 7 --flows 20 --transfers --mix retail --out "$batch" >/dev/null
  echo "$gen_hash" >"$stamp"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/decree-b7.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$decree" build rulesets/aml-typologies/flows.decree -o "$work/flows.dlib" -q

# normalize FINDINGS OUT: one line per finding, sorted, as the DuckDB peer writes them.
normalize() {
  python3 - "$1" "$2" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    f = json.loads(line)
    paths = ";".join(",".join(h["txn_id"] for h in p) for p in f["paths"])
    out.append(f"{f['rule']}\t{f['key']['account_id']}|{f['key']['txn_id']}\t{paths}")
open(sys.argv[2], "w", encoding="utf-8").write("".join(sorted(l + "\n" for l in out)))
PY
}

: >"$work/decree.times"
: >"$work/duck.times"
for ((i = 1; i <= runs; i++)); do
  /usr/bin/time -f "%e %M" -o "$work/t" "$decree" run "$work/flows.dlib" -i "$batch" -o "$work/f.jsonl" --threads 2 -q
  cat "$work/t" >>"$work/decree.times"
  d_run=$(cut -d' ' -f1 "$work/t")
  normalize "$work/f.jsonl" "$work/decree.$i.tsv"
  /usr/bin/time -f "%e %M" -o "$work/t" node bench/peers/duckdb_peer.mjs flows "$batch" "" "$work/duck.tsv" 2 >"$work/q.json"
  query=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["seconds"], 3))' "$work/q.json")
  echo "$(cat "$work/t") $query" >>"$work/duck.times"
  sort "$work/duck.tsv" >"$work/duck.$i.tsv"
  cmp -s "$work/decree.$i.tsv" "$work/duck.$i.tsv" ||
    { echo "bench B7: run $i: Decree's paths differ from DuckDB's" >&2; diff "$work/decree.$i.tsv" "$work/duck.$i.tsv" | head -5 >&2; exit 1; }
  cmp -s "$work/decree.1.tsv" "$work/decree.$i.tsv" || { echo "bench B7: run $i: findings differ from run 1" >&2; exit 1; }
  echo "  run $i: decree $d_run s, duckdb $(cut -d' ' -f1 "$work/t") s (query $query s); paths identical" >&2
done
findings=$(wc -l <"$work/decree.1.tsv")
chains=$(grep -c '^aml.layering_chain' "$work/decree.1.tsv" || true)
trips=$(grep -c '^aml.round_trip' "$work/decree.1.tsv" || true)
paths=$(awk -F'\t' '{ n += split($3, p, ";") } END { print n }' "$work/decree.1.tsv")
d_wall=$(median "$work/decree.times" 1)
d_rss=$(median "$work/decree.times" 2)
k_wall=$(median "$work/duck.times" 1)
k_rss=$(median "$work/duck.times" 2)
k_query=$(median "$work/duck.times" 3)
ratio=$(awk -v a="$k_query" -v b="$d_wall" 'BEGIN { printf "%.2f", a / b }')
ratio_p=$(awk -v a="$k_wall" -v b="$d_wall" 'BEGIN { printf "%.2f", a / b }')

report="$work/report.md"
cat >"$report" <<EOF
## B7 — fund-flow tracing (\`aml.layering_chain\`, \`aml.round_trip\`)

$(date -u +%Y-%m-%d), this machine (2 cores), \`bench/run.sh B7 --rows $rows --runs $runs\`. The batch:
\`decree-gen --rows $rows --seed 7 --flows 20 --transfers --mix retail\` — every row a CNY transfer
out to another customer's account (250,000 customers), with planted chains, cycles,
scatter-gather and near misses. Both sides report the same $findings findings ($chains layering chains,
$trips round trips; $paths paths), identical path for path in every run. DuckDB 1.5 through its
Node API with 2 threads, recursive CTEs carrying each path's accounts and txn ids as lists
(\`bench/peers/flows.duckdb.sql\`); Decree \`decree run\` with 2 threads over
\`rulesets/aml-typologies/flows.decree\`. Medians of $runs runs.

| system | wall (s) | query (s) | peak RSS (MB) | ratio (DuckDB query / Decree) |
|---|---:|---:|---:|---:|
| Decree | $d_wall | — | $((d_rss / 1024)) | **${ratio}×** |
| DuckDB | $k_wall | $k_query | $((k_rss / 1024)) | (process: ${ratio_p}×) |

Decree's search: the hops of the flow collected while the batch is read, one index by
(paying account, time) and by (receiving account, time) shared by both rules, then a
depth-first search from every hop, split over threads by first hop. This run holds every hop
in memory; with \`--max-memory\` the hops spill and the search sweeps the batch by slices of
time, holding only a window of the flows' span (docs/tracing.md).
EOF
cat "$report"
((write)) && write_section B7 "$report"
exit 0
