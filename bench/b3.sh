#!/usr/bin/env bash
# B3 (called by bench/run.sh B3): screening every counterparty name of a 1M-row batch against the
# UN consolidated and OFAC SDN lists, the index against the plain all-pairs scan in the same
# binary (`decree screen --all-pairs`: every list name scored with the same measure).
#
#   bench/run.sh B3 [--rows 1000000] [--sample 2000] [--runs 5] [--no-write]
#
# The batch: decree-namegen (names in Han, Latin, Cyrillic, romanised Arabic, companies with
# legal forms, skewed so counterparties recur; 2 % taken from the lists and disguised).
#   index     `decree screen` over the whole batch, --runs times (wall clock, peak RSS); every
#             run's hits must be byte-identical.
#   all-pairs over the batch's first --sample rows (all-pairs over 1M rows takes hours): its hits
#             must be byte-identical to the index's over the same rows, or the benchmark fails.
#             Its cost per distinct name screened (both paths screen each distinct name of a
#             thread once) projects the all-pairs time of the whole batch: that cost x the
#             distinct names the index run screened / 2 threads (perfect scaling, in all-pairs'
#             favour).
# Lists are read from $DECREE_WATCHLISTS (default ../shared/data/watchlists), never copied.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rows=1000000
sample=2000
runs=5
write=1
while (($#)); do
  case "$1" in
    --rows|--sizes) rows=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-write) write=0; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh B3: unknown option $1" >&2; exit 2 ;;
  esac
done
((runs >= 1)) || { echo "bench/run.sh B3: --runs must be at least 1" >&2; exit 2; }

build=${DECREE_BUILD_DIR:-build}
decree=$build/decree
gen=$build/decree-namegen
lists=${DECREE_WATCHLISTS:-../shared/data/watchlists}
for tool in "$decree" "$gen" /usr/bin/time; do
  [[ -x "$tool" ]] || { echo "bench/run.sh B3: $tool is missing: run scripts/setup.sh first" >&2; exit 1; }
done
[[ -f "$lists/un_consolidated.xml" && -f "$lists/ofac_sdn.csv" ]] ||
  { echo "bench/run.sh B3: no UN/OFAC lists in $lists (set DECREE_WATCHLISTS)" >&2; exit 1; }

data=${DECREE_BENCH_DATA:-bench/data}
mkdir -p "$data"
batch="$data/b3-$rows-s1.csv"
stamp="$batch.gen"
gen_hash=$(sha256sum "$gen" | cut -c1-16)
if [[ ! -f "$batch" || "$(cat "$stamp" 2>/dev/null)" != "$gen_hash" ]]; then
  echo "bench: generating $batch" >&2
  "$gen" --rows "$rows" --lists "$lists" --out "$batch"
  echo "$gen_hash" >"$stamp"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/decree-b3.XXXXXX")
trap 'rm -rf "$work"' EXIT
head -n $((sample + 1)) "$batch" >"$work/sample.csv"
screen=("$decree" screen -l "$lists/un_consolidated.xml" -l "$lists/ofac_sdn.csv" --columns counterparty_name)

# run <label> <input> [extra args]: appends "seconds rss_kb queries hits" to $work/<label>.times.
run() {
  local label=$1 input=$2 start end
  shift 2
  start=$(date +%s%N)
  DECREE_TIMING=1 /usr/bin/time -f "%M" -o "$work/time.txt" "${screen[@]}" -i "$input" -o "$work/$label.jsonl" "$@" 2>"$work/err.txt" ||
    { echo "bench/run.sh B3: decree screen failed:" >&2; cat "$work/err.txt" >&2; exit 1; }
  end=$(date +%s%N)
  local queries hits
  queries=$(awk '/distinct names screened/ { print $1 }' "$work/err.txt")
  hits=$(wc -l <"$work/$label.jsonl")
  echo "$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }') $(tail -1 "$work/time.txt") $queries $hits" >>"$work/$label.times"
}

echo "bench: B3 over $batch, $runs runs; all-pairs over the first $sample rows" >&2
for ((i = 1; i <= runs; ++i)); do
  run index "$batch"
  sha256sum <"$work/index.jsonl" >>"$work/index.sha"
  echo "  index run $i: $(tail -1 "$work/index.times") (s, KB, distinct names, hits)" >&2
done
(($(sort -u "$work/index.sha" | wc -l) == 1)) || { echo "bench/run.sh B3: the index runs' hits differ" >&2; exit 1; }
run sample_index "$work/sample.csv"
run sample_all "$work/sample.csv" --all-pairs
cmp -s "$work/sample_index.jsonl" "$work/sample_all.jsonl" ||
  { echo "bench/run.sh B3: index and all-pairs hits differ on the sample" >&2; diff "$work/sample_index.jsonl" "$work/sample_all.jsonl" | head >&2; exit 1; }
echo "  sample: index $(tail -1 "$work/sample_index.times"), all-pairs $(tail -1 "$work/sample_all.times") — identical hits" >&2

read -r _ rss queries hits < <(head -1 "$work/index.times")
index_median=$(median "$work/index.times" 1)
read -r all_s _ all_queries sample_hits < <(cat "$work/sample_all.times")
read -r sample_index_s _ sample_queries _ < <(cat "$work/sample_index.times")
# All-pairs' cost a name: its sample time less the index's on the same rows (which holds the
# fixed costs both pay: loading the lists, building the index), in all-pairs' favour.
per_query=$(awk -v s="$all_s" -v i="$sample_index_s" -v q="$all_queries" 'BEGIN { printf "%.2f", 1000 * (s - i) / q }')
projected=$(awk -v s="$all_s" -v i="$sample_index_s" -v q="$all_queries" -v n="$queries" 'BEGIN { printf "%.0f", (s - i) / q * n / 2 }')
ratio=$(awk -v p="$projected" -v i="$index_median" 'BEGIN { printf "%.1f", p / i }')
rows_out=$(($(wc -l <"$batch") - 1))

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
report="$work/report.md"
{
  echo "## B3 — screening $rows_out counterparty names against the UN and OFAC lists"
  echo
  echo "\`bench/run.sh B3 --rows $rows --sample $sample --runs $runs\`, $(date -u +%Y-%m-%d). $machine; ICU"
  echo "$(dpkg-query -W -f '${Version}' libicu-dev 2>/dev/null || echo unknown), 2 threads. Lists: UN consolidated (1,003 entries) and OFAC SDN with"
  echo "alt.csv (8,976 entries, 11,910 aliases, 12 Chinese Commercial Code names): 25,031 names. The"
  echo "batch: \`decree-namegen --rows $rows\` ($queries distinct names screened; 2 % of rows carry a list"
  echo "name disguised by case, word order, a typo, words run together or punctuation dropped)."
  echo "Threshold 0.92 (the default)."
  echo
  echo "| | seconds (min / median / max) | peak RSS | hits |"
  echo "|---|---|---|---|"
  echo "| index: \`decree screen\`, $rows_out rows | $(range "$work/index.times" 1) | $((rss / 1024)) MB | $hits |"
  echo "| all-pairs, first $sample rows ($all_queries distinct names) | $all_s | | $sample_hits |"
  echo "| index, the same $sample rows | $sample_index_s | | $sample_hits (identical) |"
  echo "| all-pairs, $rows_out rows, projected: $per_query ms a distinct name (sample, less the index's time) x $queries / 2 threads | $projected | | |"
  echo
  echo "**Index vs all-pairs: ${ratio}x** (target ≥ 50x). The hits of the index and of all-pairs"
  echo "over the sample are byte-identical (the index's candidate filters are lossless bounds of"
  echo "Jaro-Winkler plus the bigram index; docs/screening.md), and every index run's hits are identical."
  echo "All-pairs over the whole batch is projected, not run (about $((projected / 60)) minutes)."
} >"$report"
cat "$report"

if ((write)); then
  write_section B3 "$report"
fi
(($(awk -v r="$ratio" 'BEGIN { print (r >= 50) }'))) || echo "bench: B3 is below its target (${ratio}x < 50x)" >&2
