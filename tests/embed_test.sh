#!/usr/bin/env bash
# The C and Python embedding examples (examples/embed/) against `decree run`: the same library
# over the same batch, from a file and from memory, must print the same findings, byte for byte.
# The online engine's C API (examples/embed/decide.c) against `decree stream`: the same answers.
#   tests/embed_test.sh DECREE DECREE_GEN C_EXAMPLE LIBDECREE_SO SOURCE_DIR C_DECIDE
set -euo pipefail
decree=$1 gen=$2 cexample=$3 libso=$4 src=$5 cdecide=$6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Under AddressSanitizer (scripts/sanitize.sh) the Python interpreter must load the sanitizer's
# runtime first to load libdecree.so; the interpreter's own allocations are not ours to check.
py_env=()
# (grep reads all of ldd's output: with -q it may exit first, and pipefail would see ldd's SIGPIPE.)
if ldd "$libso" | grep -c libasan >/dev/null; then
  py_env=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0)
fi
"$decree" build "$src/rulesets/cn-pboc-lvtr" "$src/rulesets/aml-typologies" -o lib.dlib >/dev/null
"$gen" --rows 30000 --seed 7 --out batch.csv --rates rates.csv >/dev/null
for batch in batch.csv "$src/examples/transactions.csv"; do
  "$decree" run lib.dlib -i "$batch" -t usd_rate=rates.csv -t last_activity="$src/examples/last_activity.csv" -o want.jsonl -q
  n=$(wc -l < want.jsonl)
  [ "$n" -gt 0 ] || { echo "embed_test: no findings from decree run on $batch: the comparison would be empty"; exit 1; }
  tables=(usd_rate=rates.csv last_activity="$src/examples/last_activity.csv")
  "$cexample" lib.dlib "$batch" "${tables[@]}" > c.jsonl
  "$cexample" --memory lib.dlib "$batch" "${tables[@]}" > c_mem.jsonl
  "$cexample" --stream lib.dlib "$batch" "${tables[@]}" > c_stream.jsonl
  env "${py_env[@]}" DECREE_LIB="$libso" python3 "$src/examples/embed/findings.py" lib.dlib "$batch" "${tables[@]}" > py.jsonl
  env "${py_env[@]}" DECREE_LIB="$libso" python3 "$src/examples/embed/findings.py" --memory lib.dlib "$batch" "${tables[@]}" > py_mem.jsonl
  for f in c.jsonl c_mem.jsonl c_stream.jsonl py.jsonl py_mem.jsonl; do
    cmp -s want.jsonl "$f" || { echo "embed_test: $f differs from decree run on $batch"; diff want.jsonl "$f" | head -5; exit 1; }
  done
  echo "embed_test: $batch: $n findings, identical from decree run, C (file, memory, streamed to a callback) and Python (file, memory)"
done
# The engine: the same answers through the C API as from decree stream, record by record.
"$gen" --rows 3000 --seed 11 --customers 40 --jsonl --out stream.jsonl --rates srates.csv >/dev/null
"$decree" stream lib.dlib --skip-rule aml.layering_chain --skip-rule aml.round_trip -t usd_rate=srates.csv -t last_activity="$src/examples/last_activity.csv" --late-after 60d -q \
  < stream.jsonl > want_stream.jsonl
"$cdecide" --late-after 5184000 --skip-rule aml.layering_chain --skip-rule aml.round_trip lib.dlib usd_rate=srates.csv last_activity="$src/examples/last_activity.csv" \
  < stream.jsonl > c_decide.jsonl 2>/dev/null
n=$(grep -c '"decision":"review"' want_stream.jsonl || true)
[ "$n" -gt 0 ] || { echo "embed_test: decree stream found nothing to review: the comparison would be weak"; exit 1; }
cmp -s want_stream.jsonl c_decide.jsonl || { echo "embed_test: the C engine's answers differ from decree stream"; diff want_stream.jsonl c_decide.jsonl | head -5; exit 1; }
"$cdecide" --batch 7 --late-after 5184000 --skip-rule aml.layering_chain --skip-rule aml.round_trip lib.dlib usd_rate=srates.csv \
  last_activity="$src/examples/last_activity.csv" < stream.jsonl > c_decide_batch.jsonl 2>/dev/null
cmp -s want_stream.jsonl c_decide_batch.jsonl || { echo "embed_test: the C engine's batched answers differ from decree stream"; diff want_stream.jsonl c_decide_batch.jsonl | head -5; exit 1; }
echo "embed_test: $(wc -l < want_stream.jsonl) answers ($n review) identical from decree stream and the C engine API, one by one and in batches of 7"
# A failure is reported, not hidden: a corrupt library and a missing table.
printf 'not a library' > bad.dlib
if "$cexample" bad.dlib batch.csv 2> err.txt; then echo "embed_test: a corrupt library was accepted"; exit 1; fi
grep -q "bad.dlib" err.txt || { echo "embed_test: the error does not name the library: $(cat err.txt)"; exit 1; }
if "$cexample" lib.dlib batch.csv 2> err.txt; then echo "embed_test: a run without its tables succeeded"; exit 1; fi
grep -q "the rules need table" err.txt || { echo "embed_test: the error does not name the missing table: $(cat err.txt)"; exit 1; }
echo "embed_test: errors reported with their file and table"
