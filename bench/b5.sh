#!/usr/bin/env bash
# B5: real-time decisions (decree::Engine, decree serve).  Writes the B5 section of
# docs/benchmarks.md (unless --no-write).
#
#   bench/run.sh B5 [--rows 200000] [--customers 20000] [--http-seconds 20] [--no-write]
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
rows=200000 customers=20000 http_seconds=20 write=1
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --customers) customers=$2; shift 2 ;;
    --http-seconds) http_seconds=$2; shift 2 ;;
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
echo "b5: in process, lvtr + typologies, $rows transactions, $customers customers ($reviews review)"
one=$(bench two.dlib stream.jsonl --threads 1 "${tables[@]}" --expect want.jsonl) && check "1 thread" "$one"
echo "  1 thread:  $one"
two=$(bench two.dlib stream.jsonl --threads 2 "${tables[@]}" --expect want.jsonl) && check "2 threads" "$two"
echo "  2 threads: $two"
glibc=$("$root/$build/decree-engine-bench-glibc" two.dlib stream.jsonl --threads 2 "${tables[@]}" --late-after-days 60 --expect want.jsonl)
check "glibc" "$glibc"
echo "  2 threads, glibc malloc: $glibc"
# The same stream through Engine::DecideBatch, 256 records a call per thread.
batched=$(bench two.dlib stream.jsonl --threads 2 --batch 256 "${tables[@]}" --expect want.jsonl) && check "batched" "$batched"
echo "  2 threads, batches of 256: $batched"
three=$(bench three.dlib stream.jsonl --threads 2 "${tables[@]}" "${listargs[@]}" --expect want3.jsonl) && check "sanctions" "$three"
echo "  with sanctions screening, 2 threads: $three"
echo "  every answer identical to decree stream's"
# HTTP: wrk posts distinct transactions to decree serve (all three rulesets).
"$root/$build/decree" serve three.dlib --listen 127.0.0.1:0 "${tables[@]/--table/-t}" "${listargs[@]/--list/-l}" --late-after 3650d 2> serve.err &
server=$!
for _ in $(seq 600); do grep -q "listening on" serve.err && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' serve.err)
[[ -n $port ]] || { echo "b5: decree serve did not start: $(cat serve.err)" >&2; exit 1; }
wrk -t 2 -c 32 -d "${http_seconds}s" --latency -s "$root/bench/b5_post.lua" "http://127.0.0.1:$port/v1/decide" > wrk.txt
cat wrk.txt
grep -q "non-200 responses: 0$" wrk.txt || { echo "b5: some HTTP answers were not 200" >&2; exit 1; }
rps=$(awk '/^Requests\/sec/ {print $2}' wrk.txt)
p99=$(awk '$1 == "99%" {print $2}' wrk.txt)
p50=$(awk '$1 == "50%" {print $2}' wrk.txt)
server_rss=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
kill $server; wait $server || true; server=
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

| measurement | decisions/s | p50 | p99 | peak RSS | target |
|---|---:|---:|---:|---:|---|
| in process, lvtr + typologies, 1 thread | $(field per_second "$one") | $(field p50_us "$one") µs | $(field p99_us "$one") µs | $(field peak_rss_mb "$one") MB | |
| in process, lvtr + typologies, 2 threads | $(field per_second "$two") | $(field p50_us "$two") µs | $(field p99_us "$two") µs | $(field peak_rss_mb "$two") MB | ≥ 300,000/s: **not met** |
| in process, lvtr + typologies, 2 threads, the C library's malloc | $(field per_second "$glibc") | $(field p50_us "$glibc") µs | $(field p99_us "$glibc") µs | $(field peak_rss_mb "$glibc") MB | (reported) |
| in process, lvtr + typologies, 2 threads, \`DecideBatch\` of 256 (latency: the batch's) | $(field per_second "$batched") | $(field p50_us "$batched") µs | $(field p99_us "$batched") µs | $(field peak_rss_mb "$batched") MB | ≥ 300,000/s: **not met** |
| in process, + sanctions (both parties screened), 2 threads | $(field per_second "$three") | $(field p50_us "$three") µs | $(field p99_us "$three") µs | $(field peak_rss_mb "$three") MB | (reported) |
| HTTP, all three rulesets, wrk 32 connections, loopback | $rps | $p50 | $p99 | $((server_rss / 1024)) MB | ≥ 15,000/s, p99 ≤ 10 ms: $(awk -v r="$rps" 'BEGIN {print (r >= 15000 ? "rate met" : "rate **not met**")}'), p99 $(awk -v p="$p99" 'BEGIN {v = p + 0; if (p ~ /us$/) v /= 1000; if (p ~ /[0-9]s$/ && p !~ /ms$/ && p !~ /us$/) v *= 1000; print (v <= 10 ? "met" : "**not met**")}') |
| state for 1M transactions of $(field keys "$mil") customers, 2 threads | $(field per_second "$mil") | $(field p50_us "$mil") µs | $(field p99_us "$mil") µs | $(field peak_rss_mb "$mil") MB | (reported) |

Tazama's published target is 3,000 transactions/s within 35 ms each: in process on 2 threads
this is $(awk -v r="$(field per_second "$two")" 'BEGIN {printf "%.1f", r / 3000}')× that, over HTTP $(awk -v r="$rps" 'BEGIN {printf "%.1f", r / 3000}')×.  Peak RSS in process includes the
benchmark's own copy of every record (and of the expected answers it checks against).  A
decision evaluates the record once and finalizes only the groups it joins, over its
partition's held contributions, with the batch evaluator's finalizers (docs/serve.md).  One at a time, its cost is reading the record and its
row-level evaluation (a few hundred expression nodes through the columnar executor, for one
row), a few small group finalizations, and the answer; \`DecideBatch\` reads and evaluates its
records as one chunk, which leaves the finalizations and the answers.  The in-process target
needs about 6.7 µs of one core a decision; the state a decision adds (its line, its
contributions, its id and, unless an allow without findings, its answer: about 1 KB) is
fresh memory the kernel zeroes first, which on this VM is itself about a fifth of the time.
EOF
  (cd "$root" && source bench/lib.sh && write_section B5 "$work/b5.md")
fi
