#!/usr/bin/env bash
# Runs a benchmark of ../shared/design/benchmarks.md and writes its section of docs/benchmarks.md.
#
#   bench/run.sh B1                       1M and 10M rows, 5 runs each, all peers
#   bench/run.sh B1 --sizes 1000000 --runs 7
#   bench/run.sh B1 --no-write            measure and check, leave docs/benchmarks.md alone
#   bench/run.sh B1 --mix retail          another data mix (decree-gen --mix: dense, the default;
#                                         retail: many customers, few findings; heavy: many findings),
#                                         written to its own section (B1-retail)
#   bench/run.sh B2                       aml-typologies over the same batches, same peers
#   bench/run.sh B3 [--rows 1000000]      watch-list screening, index vs all-pairs (bench/b3.sh)
#   bench/run.sh B4 [--rules 1000]        the analysis of a generated rule library (bench/b4.sh)
#   bench/run.sh B5 [--rows 200000]       real-time decisions: in process and over HTTP (bench/b5.sh)
#   bench/run.sh B6 [--rows 1000000]      the lowered rules on a two-shard ClickHouse cluster vs native (bench/b6.py)
#   bench/run.sh B7 [--rows 1000000]      fund-flow paths vs DuckDB's recursive CTEs (bench/b7.sh)
#   bench/run.sh store [--mode append]    the case store's cost: run --store vs a plain run (bench/store.sh)
#
# B1: cn-pboc-lvtr over generated batches (B2: aml-typologies/aml.decree, the typologies the peers implement — the path rules of flows.decree are B7).  Decree (`decree run`, CSV -> findings file) against
# DuckDB (Node API, 2 threads) and SQLite (the sqlite3 shell: .import, then the SQL), all on the
# same files.  Every run's findings are normalised to (rule, key, txn_ids) and must be identical
# across peers and runs, or the benchmark fails.  Times are wall-clock of the whole process
# (/usr/bin/time); DuckDB's query time inside its process is reported too, and the ratios use
# it (the figure most favourable to DuckDB).  Peak memory is the process's maximum RSS.
#
# Environment: DECREE_BUILD_DIR (default build), DECREE_BENCH_DATA (default bench/data: the
# generated batches, reused while the generator and seed are unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source bench/lib.sh

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 2
}

bench=${1:-}
[[ -n "$bench" && "$bench" != -h && "$bench" != --help ]] || usage
shift
[[ "$bench" == B4 ]] && exec bench/b4.sh "$@"
[[ "$bench" == B3 ]] && exec bench/b3.sh "$@"
[[ "$bench" == B5 ]] && exec bench/b5.sh "$@"
[[ "$bench" == B6 ]] && exec python3 bench/b6.py "$@"
[[ "$bench" == B7 ]] && exec bench/b7.sh "$@"
[[ "$bench" == store ]] && exec bench/store.sh "$@"
sizes="1000000,10000000"
runs=5
seed=1
threads=2
write=1
data_mix=dense
while (($#)); do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --no-write) write=0; shift ;;
    --mix) data_mix=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "bench/run.sh: unknown option $1" >&2; usage ;;
  esac
done
case "$bench" in
  B1) mix=lvtr ruleset=rulesets/cn-pboc-lvtr title='large-value reporting (`cn-pboc-lvtr`)' ;;
  B2) mix=aml ruleset=rulesets/aml-typologies/aml.decree title='AML typologies (`aml-typologies`: sliding windows, distinct counts)' ;;
  B3) ;;
  *) echo "bench/run.sh: unknown benchmark $bench (B1 to B7)" >&2; exit 2 ;;
esac
((runs >= 1)) || { echo "bench/run.sh: --runs must be at least 1" >&2; exit 2; }
case "$data_mix" in
  dense) section=$bench prefix=lvtr ;;
  retail|heavy) section=$bench-$data_mix prefix=lvtr-$data_mix title="$title, $data_mix data mix (\`decree-gen --mix $data_mix\`)" ;;
  *) echo "bench/run.sh: --mix is dense, retail or heavy" >&2; exit 2 ;;
esac

build=${DECREE_BUILD_DIR:-build}
data=${DECREE_BENCH_DATA:-bench/data}
decree=$build/decree
gen=$build/decree-gen
for tool in "$decree" "$gen"; do
  [[ -x "$tool" ]] || { echo "bench/run.sh: $tool is missing: run scripts/setup.sh first" >&2; exit 1; }
done
for tool in node npm sqlite3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing: run scripts/setup.sh first" >&2; exit 1; }
done
if [[ ! -d bench/node_modules/@duckdb/node-api ]]; then
  echo "bench: installing the DuckDB peer (npm ci in bench/)" >&2
  (cd bench && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
mkdir -p "$data"
work=$(mktemp -d "${TMPDIR:-/tmp}/decree-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$decree" build "$ruleset" -o "$work/$mix.dlib" >/dev/null 2>&1

# measure <label> <command...>: one run; appends "wall_s max_rss_kb" to
# $work/<label>.times and leaves the command's stdout in $work/<label>.stdout.  Every system
# writes to paths that do not exist yet (replacing a large file costs the writer the freeing
# of the old one's blocks, which has nothing to do with the work measured).
measure() {
  local label=$1
  shift
  rm -f "$work/decree.jsonl" "$work/rejects.jsonl" "$work/duck.tsv" "$work/sqlite.tsv"
  sync -f "$work" 2>/dev/null || true
  local start end
  start=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$work/time.txt" "$@" >"$work/$label.stdout" 2>"$work/$label.stderr" || {
    echo "bench/run.sh: $label failed:" >&2
    cat "$work/$label.stderr" >&2
    exit 1
  }
  end=$(date +%s%N)
  echo "$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }') $(tail -1 "$work/time.txt")" >>"$work/$label.times"
}

# check_same <reference.tsv> <candidate.tsv> <what>
check_same() {
  if ! cmp -s "$1" "$2"; then
    echo "bench/run.sh: $3 differs from the reference findings:" >&2
    diff <(head -c 2000000 "$1") <(head -c 2000000 "$2") | head -20 >&2
    exit 1
  fi
}

# stats <file> <column>: "min median max" of a column of numbers.
stats() {
  cut -d' ' -f"$2" "$1" | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s %s\n", v[1], m, v[NR] }'
}

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
cd bench && duck_version=$(node --input-type=module -e "
  import { DuckDBInstance } from '@duckdb/node-api';
  const c = await (await DuckDBInstance.create(':memory:')).connect();
  console.log((await c.runAndReadAll('select version()')).getRows()[0][0]);" 2>/dev/null || echo "?")
cd "$root"
sqlite_version=$(sqlite3 --version | cut -d' ' -f1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
dirty=$(git status --porcelain 2>/dev/null | grep -qv '^??' && echo " (with uncommitted changes)" || true)

report="$work/report.md"
{
  echo "## $bench — $title"
  echo
  echo "\`bench/run.sh $bench --sizes $sizes --runs $runs --seed $seed --mix $data_mix\` on $(date -u +%Y-%m-%d), commit \`$commit\`$dirty;"
  echo "$machine; DuckDB $duck_version (Node API, $threads threads), SQLite $sqlite_version (sqlite3 shell), Decree \`--threads $threads\`."
  echo "Wall-clock seconds of the whole process, min / median / max of $runs runs; rows/s and ratios from"
  echo "the medians; DuckDB's query time is the time inside its process (without Node's start-up), and"
  echo "the ratios are taken against it. Every run's findings were checked identical (rule, key, txn_ids)."
  echo
  echo "| rows | input | system | seconds (min / median / max) | rows/s | Decree is × faster | peak RSS | findings |"
  echo "|---:|---:|---|---|---:|---:|---:|---:|"
} >"$report"

IFS=',' read -r -a size_list <<<"$sizes"
for rows in "${size_list[@]}"; do
  tx="$data/$prefix-$rows-s$seed.csv"
  rates="$data/$prefix-$rows-s$seed.rates.csv"
  last_activity="$data/$prefix-$rows-s$seed.last_activity.csv"
  stamp="$data/$prefix-$rows-s$seed.gen"
  gen_id=$(sha256sum "$gen" | cut -c1-16)
  if [[ ! -f "$tx" || ! -f "$last_activity" || ! -f "$stamp" || "$(cat "$stamp")" != "$gen_id" ]]; then
    echo "bench: generating $rows rows (seed $seed) into $tx" >&2
    "$gen" --rows "$rows" --seed "$seed" --mix "$data_mix" --out "$tx" --rates "$rates" --last-activity "$last_activity"
    echo "$gen_id" >"$stamp"
  fi
  bytes=$(stat -c %s "$tx")
  rm -f "$work"/*.times
  echo "bench: $bench at $rows rows ($((bytes / 1000000)) MB), $runs runs per system" >&2

  for ((i = 1; i <= runs; i++)); do
    tables=()
    [[ $mix == lvtr ]] && tables=(--table "usd_rate=$rates")
    [[ $mix == aml ]] && tables=(--table "last_activity=$last_activity")
    measure decree "$decree" run "$work/$mix.dlib" --input "$tx" "${tables[@]}" \
      --out "$work/decree.jsonl" --rejects "$work/rejects.jsonl" --threads "$threads" -q
    [[ ! -s "$work/rejects.jsonl" ]] || { echo "bench/run.sh: decree rejected rows of a generated batch" >&2; exit 1; }
    node bench/peers/normalize.mjs "$work/decree.jsonl" "$work/decree.tsv"
    if ((i == 1)); then cp "$work/decree.tsv" "$work/reference.tsv"; else check_same "$work/reference.tsv" "$work/decree.tsv" "decree run $i"; fi
    echo "  decree  run $i: $(tail -1 "$work/decree.times")" >&2
  done
  for ((i = 1; i <= runs; i++)); do
    measure duckdb node bench/peers/duckdb_peer.mjs "$mix" "$tx" "$rates" "$work/duck.tsv" "$threads" "$last_activity"
    node -e "console.log(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).seconds)" "$work/duckdb.stdout" >>"$work/duckq.times"
    LC_ALL=C sort "$work/duck.tsv" >"$work/duck.sorted.tsv"
    check_same "$work/reference.tsv" "$work/duck.sorted.tsv" "DuckDB run $i"
    echo "  duckdb  run $i: $(tail -1 "$work/duckdb.times") (query $(tail -1 "$work/duckq.times") s)" >&2
  done
  for ((i = 1; i <= runs; i++)); do
    printf '.mode csv\n.import %s tx\n.import %s rates\n.import %s last_activity\n.mode tabs\n.headers off\n.output %s\n.read bench/peers/%s.sqlite.sql\n' \
      "$tx" "$rates" "$last_activity" "$work/sqlite.tsv" "$mix" >"$work/sqlite.cmd"
    measure sqlite sqlite3 -batch -init /dev/null :memory: ".read $work/sqlite.cmd"
    LC_ALL=C sort "$work/sqlite.tsv" >"$work/sqlite.sorted.tsv"
    check_same "$work/reference.tsv" "$work/sqlite.sorted.tsv" "SQLite run $i"
    echo "  sqlite  run $i: $(tail -1 "$work/sqlite.times")" >&2
  done

  findings=$(wc -l <"$work/reference.tsv")
  read -r d_min d_med d_max <<<"$(stats "$work/decree.times" 1)"
  read -r q_min q_med q_max <<<"$(stats "$work/duckq.times" 1)"
  read -r k_min k_med k_max <<<"$(stats "$work/duckdb.times" 1)"
  read -r s_min s_med s_max <<<"$(stats "$work/sqlite.times" 1)"
  d_rss=$(stats "$work/decree.times" 2 | cut -d' ' -f3)
  k_rss=$(stats "$work/duckdb.times" 2 | cut -d' ' -f3)
  s_rss=$(stats "$work/sqlite.times" 2 | cut -d' ' -f3)
  awk -v rows="$rows" -v bytes="$bytes" -v findings="$findings" \
      -v d="$d_min $d_med $d_max" -v q="$q_min $q_med $q_max" -v k="$k_min $k_med $k_max" -v s="$s_min $s_med $s_max" \
      -v drss="$d_rss" -v krss="$k_rss" -v srss="$s_rss" '
    function row(name, t, rss, ratio) {
      split(t, v, " ")
      printf "| %s | %.0f MB | %s | %.3f / %.3f / %.3f | %s | %s | %s | %s |\n", fmtn(rows), bytes / 1e6, name, v[1], v[2], v[3],
             fmtn(int(rows / v[2])), ratio, rss == "" ? "" : sprintf("%.0f MB", rss / 1024), fmtn(findings)
    }
    function fmtn(n,   s, out) {
      s = sprintf("%d", n); out = ""
      while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
      return s out
    }
    BEGIN {
      split(d, dv, " "); split(q, qv, " "); split(s, sv, " "); split(k, kv, " ")
      row("**Decree**", d, drss, "—")
      row("DuckDB (query)", q, "", sprintf("**%.2f×**", qv[2] / dv[2]))
      row("DuckDB (process)", k, krss, sprintf("%.2f×", kv[2] / dv[2]))
      row("SQLite", s, srss, sprintf("%.2f×", sv[2] / dv[2]))
    }' >>"$report"
done

cat "$report"
if ((write)); then
  write_section "$section" "$report"
fi
