#!/usr/bin/env bash
# B5: real-time decisions (decree::Engine, decree serve).  Writes the B5 section of
# docs/benchmarks.md (unless --no-write).
#
#   bench/run.sh B5 [--rows 200000] [--customers 20000] [--runs 3] [--http-seconds 20] [--no-write]
#
# Each measurement runs --runs times; the table gives the run with the median rate (HTTP: the
# median p99) and the range over the runs: on this VM one run can differ from the next by 2×
# (docs/benchmarks.md, B5).
#
# 1. In process: decree-engine-bench decides a generated stream of distinct transactions with
#    cn-pboc-lvtr + aml-typologies on 1 and 2 threads (customers partitioned over threads),
#    then with the sanctions ruleset added (UN and OFAC lists, both parties screened).  Every
#    answer of the 2-thread run is checked against `decree stream` over the same records.
# 2. Over HTTP: decree serve with all three rulesets on loopback, wrk (Debian) with 32
#    keep-alive connections posting distinct transactions (bench/b5_post.lua), sharing the two
#    cores; requests/s and latency percentiles from wrk; every answer must be 200.
# 3. The state's peak memory for 1M transactions over as many customers as the generator draws
#    from 1M (about 390,000).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${DECREE_BUILD_DIR:-build}
rows=200000 customers=20000 http_seconds=20 write=1 runs=3
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --customers) customers=$2; shift 2 ;;
    --http-seconds) http_seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-write) write=0; shift ;;
    *) echo "bench/b5.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
lists=${DECREE_WATCHLISTS:-$root/../shared/data/watchlists}
[[ -f $lists/un_consolidated.xml ]] || { echo "b5: the UN and OFAC lists are not at $lists (DECREE_WATCHLISTS)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "b5: wrk is not installed (scripts/setup.sh installs it)" >&2; exit 2; }
work=$(mktemp -d)
server=
trap '[[ -n $server ]] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
"$root/$build/decree" build "$root/rulesets/cn-pboc-lvtr" "$root/rulesets/aml-typologies/aml.decree" -o two.dlib >/dev/null
"$root/$build/decree" build "$root/rulesets/cn-pboc-lvtr" "$root/rulesets/aml-typologies/aml.decree" "$root/rulesets/sanctions" -o three.dlib >/dev/null
"$root/$build/decree-gen" --rows "$rows" --seed 5 --customers "$customers" --days 30 --jsonl --out stream.jsonl \
  --rates rates.csv --last-activity last.csv >/dev/null
tables=(--table usd_rate=rates.csv --table last_activity=last.csv)
listargs=(--list "$lists/un_consolidated.xml" --list "$lists/ofac_sdn.csv" --list "$root/examples/watchlist.csv")
# In process with the allocator the decree executable links (jemalloc and its options,
# CMakeLists.txt), as decree serve and decree stream decide: decree-engine-bench links it too.
# Once more with the C library's malloc (decree-engine-bench-glibc), which an embedding
# application that does not choose its allocator gets.
ldd "$root/$build/decree-engine-bench" | grep -q libjemalloc ||
  echo "b5: decree-engine-bench does not link jemalloc: every in-process rate is with glibc's malloc" >&2
bench() { "$root/$build/decree-engine-bench" "$@" --late-after-days 60; }
# The answers every in-process run is checked against, answer by answer as it is given
# (--expect: a difference fails the run): decree stream's over the same records.
"$root/$build/decree" stream two.dlib -t usd_rate=rates.csv -t last_activity=last.csv --late-after 60d -q < stream.jsonl > want.jsonl
"$root/$build/decree" stream three.dlib -t usd_rate=rates.csv -t last_activity=last.csv "${listargs[@]/--list/-l}" --late-after 60d -q \
  < stream.jsonl > want3.jsonl
reviews=$(grep -c '"decision":"review"' want.jsonl || true)
field() { sed -n "s/.* $1 \([0-9.]*\).*/\1/p" <<< "$2"; }
check() { [[ $(field differ "$2") == 0 && $(field checked "$2") == "$rows" ]] || { echo "b5: $1: answers differ from decree stream: $2" >&2; exit 1; }; }
# measure NAME COMMAND...: runs it $runs times, checking each run's answers; prints the run
# with the median rate, and that line's "spread" is the rates' "min–max".
measure() {
  local name=$1 out all=()
  shift
  for ((r = 0; r < runs; r++)); do
    out=$("$@") && check "$name" "$out" || { echo "b5: $name failed: $out" >&2; exit 1; }
    all+=("$(field per_second "$out") $out")
  done
  printf '%s\n' "${all[@]}" | sort -g | awk -v n="${#all[@]}" '{ r[NR] = $1; line[NR] = $0 }
    END { sub(/^[^ ]* /, "", line[int((n + 1) / 2)]); printf "%s spread %d–%d\n", line[int((n + 1) / 2)], r[1], r[n] }'
}
spread() { sed -n 's/.* spread \([0-9–]*\).*/\1/p' <<< "$1"; }
echo "b5: in process, lvtr + typologies, $rows transactions, $customers customers ($reviews review), $runs runs each"
one=$(measure "1 thread" bench two.dlib stream.jsonl --threads 1 "${tables[@]}" --expect want.jsonl)
echo "  1 thread:  $one"
two=$(measure "2 threads" bench two.dlib stream.jsonl --threads 2 "${tables[@]}" --expect want.jsonl)
echo "  2 threads: $two"
glibc=$(measure "glibc" "$root/$build/decree-engine-bench-glibc" two.dlib stream.jsonl --threads 2 "${tables[@]}" --late-after-days 60 --expect want.jsonl)
echo "  2 threads, glibc malloc: $glibc"
# The same stream through Engine::DecideBatch, 256 records a call per thread.
batched=$(measure "batched" bench two.dlib stream.jsonl --threads 2 --batch 256 "${tables[@]}" --expect want.jsonl)
echo "  2 threads, batches of 256: $batched"
three=$(measure "sanctions" bench three.dlib stream.jsonl --threads 2 "${tables[@]}" "${listargs[@]}" --expect want3.jsonl)
echo "  with sanctions screening, 2 threads: $three"
echo "  every answer identical to decree stream's"
met() { awk -v r="$1" 'BEGIN {print (r >= 300000 ? "met" : "**not met**")}'; }
# HTTP: wrk posts distinct transactions to decree serve (all three rulesets), a new server for
# each run (wrk numbers its transactions from 1 again).
ms() { awk -v p="$1" 'BEGIN { v = p + 0; if (p ~ /us$/) v /= 1000; else if (p ~ /[0-9]s$/ && p !~ /ms$/) v *= 1000; printf "%.2f", v }'; }
: > http.txt
for ((r = 0; r < runs; r++)); do
  : > serve.err
  "$root/$build/decree" serve three.dlib --listen 127.0.0.1:0 "${tables[@]/--table/-t}" "${listargs[@]/--list/-l}" --late-after 3650d 2> serve.err &
  server=$!
  for _ in $(seq 600); do grep -q "listening on" serve.err && break; sleep 0.1; done
  port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' serve.err)
  [[ -n $port ]] || { echo "b5: decree serve did not start: $(cat serve.err)" >&2; exit 1; }
  wrk -t 2 -c 32 -d "${http_seconds}s" --latency -s "$root/bench/b5_post.lua" "http://127.0.0.1:$port/v1/decide" > wrk.txt
  cat wrk.txt
  grep -q "non-200 responses: 0$" wrk.txt || { echo "b5: some HTTP answers were not 200" >&2; exit 1; }
  # p99 (ms), requests/s, p50 (ms), the server's peak RSS (KiB)
  echo "$(ms "$(awk '$1 == "99%" {print $2}' wrk.txt)") $(awk '/^Requests\/sec/ {print $2}' wrk.txt)" \
    "$(ms "$(awk '$1 == "50%" {print $2}' wrk.txt)") $(awk '/VmHWM/ {print $2}' /proc/$server/status)" >> http.txt
  kill $server; wait $server || true; server=
done
read -r p99 rps p50 server_rss < <(sort -g http.txt | awk -v n="$(wc -l < http.txt)" 'NR == int((n + 1) / 2)')
p99s=$(sort -g http.txt | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }')
rpss=$(sort -g -k2,2 http.txt | awk '{ v[NR] = $2 } END { printf "%d–%d", v[1], v[NR] }')
echo "  HTTP: median p99 $p99 ms (runs: $p99s), $rps req/s (runs: $rpss)"
# State for 1M transactions over (drawn from) 1M customers.
"$root/$build/decree-gen" --rows 1000000 --seed 6 --customers 1000000 --days 30 --jsonl --out million.jsonl >/dev/null
mil=$(bench two.dlib million.jsonl --threads 2 "${tables[@]}")
echo "  1M transactions: $mil"
if ((write)); then
  cat > "$work/b5.md" <<EOF
## B5 — real-time decisions (\`decree::Engine\`, \`decree serve\`)

\`bench/run.sh B5\` on $(date -u +%Y-%m-%d), commit \`$(git -C "$root" rev-parse --short HEAD)\`; $(nproc) cores.
A stream of $rows distinct generated transactions over $customers customers (30 days); every
decision is computed over all transactions received before it, exactly as \`decree run\` would
(docs/serve.md).  Every in-process run checked each answer, as it was given, against
\`decree stream\`'s over the same records (all identical); the benchmark does not keep the
answers, as a server does not once they are sent.  In process means with jemalloc and its
options (huge pages), as the \`decree\` executable links it, except where the C library's
malloc is named.

Each measurement ran $runs times: the table gives the run with the median rate (for HTTP, the
run with the median p99) and, in brackets, the range over the runs.

| measurement | decisions/s | p50 | p99 | peak RSS | target |
|---|---:|---:|---:|---:|---|
| in process, lvtr + typologies, 1 thread | $(field per_second "$one") ($(spread "$one")) | $(field p50_us "$one") µs | $(field p99_us "$one") µs | $(field peak_rss_mb "$one") MB | |
| in process, lvtr + typologies, 2 threads | $(field per_second "$two") ($(spread "$two")) | $(field p50_us "$two") µs | $(field p99_us "$two") µs | $(field peak_rss_mb "$two") MB | ≥ 300,000/s: $(met "$(field per_second "$two")") |
| in process, lvtr + typologies, 2 threads, the C library's malloc | $(field per_second "$glibc") ($(spread "$glibc")) | $(field p50_us "$glibc") µs | $(field p99_us "$glibc") µs | $(field peak_rss_mb "$glibc") MB | (reported) |
| in process, lvtr + typologies, 2 threads, \`DecideBatch\` of 256 (latency: the batch's) | $(field per_second "$batched") ($(spread "$batched")) | $(field p50_us "$batched") µs | $(field p99_us "$batched") µs | $(field peak_rss_mb "$batched") MB | ≥ 300,000/s: $(met "$(field per_second "$batched")") |
| in process, + sanctions (both parties screened), 2 threads | $(field per_second "$three") ($(spread "$three")) | $(field p50_us "$three") µs | $(field p99_us "$three") µs | $(field peak_rss_mb "$three") MB | (reported) |
| HTTP, all three rulesets, wrk 32 connections, loopback (p99 of the runs: $p99s ms) | $rps ($rpss) | $p50 ms | $p99 ms | $((server_rss / 1024)) MB | ≥ 15,000/s, p99 ≤ 10 ms: $(awk -v r="$rps" 'BEGIN {print (r >= 15000 ? "rate met" : "rate **not met**")}'), p99 $(awk -v p="$p99" 'BEGIN {print (p <= 10 ? "met" : "**not met**")}') |
| state for 1M transactions of $(field keys "$mil") customers, 2 threads (one run) | $(field per_second "$mil") | $(field p50_us "$mil") µs | $(field p99_us "$mil") µs | $(field peak_rss_mb "$mil") MB | (reported) |

Tazama's published target is 3,000 transactions/s within 35 ms each: in process on 2 threads
this is $(awk -v r="$(field per_second "$two")" 'BEGIN {printf "%.1f", r / 3000}')× that, over HTTP $(awk -v r="$rps" 'BEGIN {printf "%.1f", r / 3000}')×.  Peak RSS in process includes the
benchmark's own copy of every record (and of the expected answers it checks against).  A
decision evaluates the record once and finalizes only the groups it joins, over its
partition's held contributions, with the batch evaluator's finalizers (docs/serve.md).  One at
a time, its cost is reading the record and its row-level evaluation (a few hundred expression
nodes through the columnar executor, for one row), a few small group finalizations, and the
answer; \`DecideBatch\` reads and evaluates its records as one chunk, which leaves the
finalizations and the answers.  The state a decision adds (its line without its keys, its
contributions, its id and, unless an allow without findings, its answer) is fresh memory; this
VM's balloon device reports freed memory to the host (free page reporting), which takes the
pages back, so a run whose state lands on such pages pays a host fault for each, and rates
differ up to 2× from one run to the next (the range in brackets).  Over HTTP, \`decree serve\`
decides on one I/O thread per core (Boost.Beast), so the threads runnable are the cores' and
wrk's, not one per connection.
EOF
  (cd "$root" && source bench/lib.sh && write_section B5 "$work/b5.md")
fi
