#!/usr/bin/env bash
# The case store's cost (issue 14): `decree run --store` against a plain run of the same B1
# batch (cn-pboc-lvtr, --table usd_rate), in interleaved pairs so that drift on the machine falls
# on both sides alike.
#
#   bench/store.sh [--rows 1000000] [--pairs 15] [--store-runs 10] [--mode append|new]
#                  [--dir /dev/shm/decree-store] [--threads 2]
#
#   append  the store already holds --store-runs runs of the batch; each measured run appends one
#   new     each measured run creates the store afresh (the file is removed before it)
# Every run's findings file must equal the first plain run's, and every stored run's findings
# count the plain run's, or the benchmark fails.  Prints the median wall time of each side
# (seconds), their ratio and the median of the pairs' own ratios; the target is at most 1.2.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rows=1000000
pairs=15
store_runs=10
mode=append
dir=/dev/shm/decree-store
threads=2
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --store-runs) store_runs=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/store.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $mode == append || $mode == new ]] || { echo "bench/store.sh: --mode is append or new" >&2; exit 2; }

build=${DECREE_BUILD_DIR:-build}
decree=$build/decree
mkdir -p "$dir"
tx=$dir/b1-$rows.csv
if [[ ! -f "$tx" ]]; then
  echo "bench/store.sh: generating $rows rows into $tx" >&2
  "$build/decree-gen" --rows "$rows" --seed 1 --out "$tx" --rates "$dir/rates-$rows.csv" \
    --last-activity "$dir/last-$rows.csv"
fi
"$decree" build rulesets/cn-pboc-lvtr -o "$dir/lvtr.dlib" >/dev/null
run=("$decree" run "$dir/lvtr.dlib" --input "$tx" --table "usd_rate=$dir/rates-$rows.csv" --threads "$threads" -q)

# seconds <command…>: runs it, prints its wall time.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

store=$dir/cases.db
rm -f "$store"
if [[ $mode == append ]]; then
  echo "bench/store.sh: filling the store with $store_runs runs" >&2
  for ((i = 1; i <= store_runs; i++)); do "${run[@]}" --out "$dir/s.jsonl" --store "$store"; done
fi
"${run[@]}" --out "$dir/reference.jsonl"
findings=$(wc -l <"$dir/reference.jsonl")
: >"$dir/times"
for ((i = 1; i <= pairs; i++)); do
  rm -f "$dir/p.jsonl" "$dir/s.jsonl"
  [[ $mode == new ]] && rm -f "$store"
  plain=$(seconds "${run[@]}" --out "$dir/p.jsonl")
  stored=$(seconds "${run[@]}" --out "$dir/s.jsonl" --store "$store")
  cmp -s "$dir/p.jsonl" "$dir/reference.jsonl" || { echo "bench/store.sh: plain run $i differs" >&2; exit 1; }
  cmp -s "$dir/s.jsonl" "$dir/reference.jsonl" || { echo "bench/store.sh: stored run $i differs" >&2; exit 1; }
  n=$(sqlite3 "$store" "SELECT findings FROM runs ORDER BY run_id DESC LIMIT 1")
  ((n == findings)) || { echo "bench/store.sh: the store counts $n findings, the run $findings" >&2; exit 1; }
  echo "$plain $stored" >>"$dir/times"
  echo "  pair $i: plain $plain s, --store $stored s" >&2
done
p=$(median "$dir/times" 1)
s=$(median "$dir/times" 2)
size=$(stat -c %s "$store")
awk '{ print $2 / $1 }' "$dir/times" >"$dir/ratios"
r=$(median "$dir/ratios" 1)
echo "$mode: plain $p s, --store $s s (medians), ratio of medians $(echo "scale=3; $s / $p" | bc), median of the pairs' ratios $r ($pairs pairs, store $((size / 1000000)) MB)"
