#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan) and runs one or all of
# them for a bounded time.  Exits non-zero if a target crashes, leaks, or trips a sanitizer;
# the reproducer is left in the build folder (crash-*, leak-*, timeout-*).
#
#   scripts/fuzz.sh parser 60       run the parser target for 60 s
#   scripts/fuzz.sh filing_xml 60   XML filings as decree validate reads them
#   scripts/fuzz.sh all 600         every target, 10 minutes each
set -euo pipefail
cd "$(dirname "$0")/.."

targets_all=(parser batch_csv batch_jsonl jsonl_flat library watchlist filing_xml screen_csv screen_jsonl serve engine_text)
target="${1:?usage: scripts/fuzz.sh <target|all> [seconds]}"
seconds="${2:-60}"
build="${DECREE_FUZZ_BUILD_DIR:-build-fuzz}"
if [[ "$target" == all ]]; then targets=("${targets_all[@]}"); else targets=("$target"); fi

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDECREE_FUZZ=ON -DDECREE_BUILD_TESTS=OFF -DDECREE_BUILD_BENCH=OFF >/dev/null
for t in "${targets[@]}"; do
  cmake --build "$build" --target "fuzz_$t" -j2
done

status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  mkdir -p "$work"
  log="$build/fuzz_$t.log"
  echo "fuzz: $t for ${seconds}s (log: $log)"
  ( cd "$build" && "./tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
      -max_len=65536 -print_final_stats=1 "corpus/$t" "../tests/fuzz/corpus/$t" ) >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if [[ $status -ne 0 ]]; then
    echo "fuzz: $t FAILED after $runs runs; see $log"
    tail -n 40 "$log"
    exit "$status"
  fi
  echo "fuzz: $t ok: $runs runs in ${seconds}s, no crash"
done
