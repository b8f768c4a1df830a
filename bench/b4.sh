#!/usr/bin/env bash
# B4 (called by bench/run.sh B4): the Z3 analysis of a generated 1,000-rule library.
#
#   bench/run.sh B4 [--rules 1000] [--runs 5] [--no-write]
#
# decree-gen --rules N writes the library (bench/gen/rulegen.h: families of rules in disjoint
# amount bands, with planted duplicates, narrowed copies, conflicts, a settled conflict, dead
# and shadowed rules) and the exact set of findings it must produce.  Measured, each run
# checked against that set (or the benchmark fails):
#   cold   `decree check <lib> --cache <new file>`: every query run;
#   edit   one rule edited (its band narrowed by one yuan: same findings), checked with the cache
#          the cold run left: only the queries involving that rule run again.
# Wall-clock seconds of the whole process (parse, type-check, analysis, witness replay), and peak
# RSS.  Results go between the B4 markers of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rules=1000
runs=5
write=1
while (($#)); do
  case "$1" in
    --rules) rules=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-write) write=0; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh B4: unknown option $1" >&2; exit 2 ;;
  esac
done
((runs >= 1)) || { echo "bench/run.sh B4: --runs must be at least 1" >&2; exit 2; }

build=${DECREE_BUILD_DIR:-build}
decree=$build/decree
gen=$build/decree-gen
for tool in "$decree" "$gen" python3 /usr/bin/time; do
  [[ -x "$tool" ]] || command -v "$tool" >/dev/null || { echo "bench/run.sh B4: $tool is missing: run scripts/setup.sh first" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/decree-b4.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$gen" --rules "$rules" --out "$work/lib"
cp -r "$work/lib" "$work/edited"
# Apply the generator's edit (edit.txt: file, rule, old text, new text; NUL-separated).
python3 - "$work/edited" <<'EOF'
import sys, pathlib
d = pathlib.Path(sys.argv[1])
file, rule, old, new = (d / "edit.txt").read_text().split("\0")
text = (d / file).read_text()
assert text.count(old) == 1, "the edit's text is not in the library"
(d / file).write_text(text.replace(old, new))
EOF
rm -f "$work"/lib/edit.txt "$work"/edited/edit.txt

# run <label> <lib> <cache>: one `decree check`; appends "seconds rss_kb queries cached" to
# $work/<label>.times after checking the findings against the expected set.
run() {
  local label=$1 lib=$2 cache=$3 start end
  start=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$work/time.txt" "$decree" check "$lib" --cache "$cache" --format json >"$work/out.json" 2>"$work/err.txt" && status=0 || status=$?
  end=$(date +%s%N)
  if ((status != 1)); then  # the planted findings make it exit 1
    echo "bench/run.sh B4: decree check exited $status:" >&2
    cat "$work/err.txt" >&2
    exit 1
  fi
  python3 - "$work/out.json" "$work/lib/expected-findings.txt" "$label" >>"$work/$label.stats" <<'EOF' || exit 1
import json, sys
doc = json.load(open(sys.argv[1]))
got = sorted(f"{f['kind']} {f['rule']} {f.get('other', '')}" for f in doc["analysis"]["findings"])
want = open(sys.argv[2]).read().splitlines()
if got != want:
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    sys.exit(f"bench/run.sh B4: {sys.argv[3]}: findings differ from the planted set: missing {missing[:5]}, extra {extra[:5]}")
s = doc["analysis"]["stats"]
confirmed = sum(1 for f in doc["analysis"]["findings"] if f["evaluation"] == "confirmed")
disagree = sum(1 for f in doc["analysis"]["findings"] if f["evaluation"] == "runtime-disagrees")
if disagree:
    sys.exit(f"bench/run.sh B4: {disagree} witnesses the runtime disagrees with")
print(doc["rules"], s["pairs"], s["pruned"], s["queries"], s["cached"], s["unknown"], s["seconds"], len(got), confirmed)
EOF
  echo "$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }') $(tail -1 "$work/time.txt")" >>"$work/$label.times"
}


echo "bench: B4 over $rules generated rules, $runs runs" >&2
for ((i = 1; i <= runs; ++i)); do
  rm -f "$work/cold.db"
  run cold "$work/lib" "$work/cold.db"
  echo "  cold run $i: $(tail -1 "$work/cold.times") s/KB" >&2
done
for ((i = 1; i <= runs; ++i)); do
  cp "$work/cold.db" "$work/edit.db"
  run edit "$work/edited" "$work/edit.db"
  echo "  edit run $i: $(tail -1 "$work/edit.times") s/KB" >&2
done
read -r n_rules pairs pruned queries _ unknown _ findings confirmed < <(head -1 "$work/cold.stats")
read -r _ _ _ edit_queries edit_cached _ _ _ _ < <(head -1 "$work/edit.stats")
cold_median=$(median "$work/cold.times" 1)
edit_median=$(median "$work/edit.times" 1)

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
z3_version=$(dpkg-query -W -f '${Version}' libz3-dev 2>/dev/null || echo unknown)
report="$work/report.md"
{
  echo "## B4 — analysis of a generated $n_rules-rule library"
  echo
  echo "\`bench/run.sh B4 --rules $rules --runs $runs\`, $(date -u +%Y-%m-%d). $machine; Z3 $z3_version (one solver"
  echo "thread). The library: \`decree-gen --rules $rules\` (families of rules in disjoint amount bands;"
  echo "planted duplicates, narrowed copies, conflicts, a settled conflict, dead and shadowed rules)."
  echo "Every run's findings equal the planted set ($findings findings; the $confirmed with a witness"
  echo "input were replayed through the runtime and confirmed; dead and redundant rules have none)."
  echo
  echo "| run | seconds (min / median / max) | peak RSS | solver queries | answered from the cache | target |"
  echo "|---|---|---|---|---|---|"
  echo "| cold: \`decree check\`, empty cache | $(range "$work/cold.times" 1) | $(($(median "$work/cold.times" 2) / 1024)) MB | $queries | 0 | < 60 s |"
  echo "| one rule edited, re-checked with the cache | $(range "$work/edit.times" 1) | $(($(median "$work/edit.times" 2) / 1024)) MB | $edit_queries | $edit_cached | < 2 s |"
  echo
  echo "Of the $pairs rule pairs, $pruned are settled before Z3 (different, compatible verdicts, or enum"
  echo "guards that cannot meet); the solver decides the rest, one incremental solver for the run"
  echo "(background asserted once, each query in a push/pop). $unknown queries were undecided."
  echo "Times are of the whole process: parsing and type-checking $rules rules, the analysis, and the"
  echo "witness replay."
} >"$report"
cat "$report"

if ((write)); then
  write_section B4 "$report"
fi
(($(awk -v a="$cold_median" 'BEGIN { print (a < 60) }') && $(awk -v a="$edit_median" 'BEGIN { print (a < 2) }'))) ||
  echo "bench: B4 is over its targets (cold $cold_median s, edit $edit_median s)" >&2
