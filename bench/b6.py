#!/usr/bin/env python3
"""B6 (partial): the rules `decree sql` lowers, on the local two-shard ClickHouse cluster, against
the native runtime on the same machine and the same batch.

  bench/run.sh B6 [--rows 1000000] [--no-write]

Starts a cluster of its own (scripts/clickhouse-cluster.sh, under a temporary directory), creates
the `decree sql --ddl` tables, loads the generated batch through the Distributed table (timed
apart) and the rates and last_activity into every shard, then times every lowered rule's query
(sequentially, 3 runs, median) and `decree run` over the CSV (3 runs, median).  Every lowered
rule's rows must equal the native findings of that rule as (rule, key, txn_ids), or the
benchmark fails.  Writes the B6 section of docs/benchmarks.md.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("DECREE_BUILD_DIR", os.path.join(ROOT, "build"))
DECREE, GEN = os.path.join(BUILD, "decree"), os.path.join(BUILD, "decree-gen")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import clickhouse_client as cc  # noqa: E402

rows, write = 1000000, True
args = sys.argv[1:]
while args:
    a = args.pop(0)
    if a == "--rows":
        rows = int(args.pop(0))
    elif a == "--no-write":
        write = False
    else:
        sys.exit(f"bench/b6.py: unknown option {a}")
WORK = tempfile.mkdtemp(prefix="decree-b6-")
CLUSTER = os.path.join(WORK, "cluster")


def query(port, sql, data=None):
    try:
        return cc.query(port, sql, data)
    except cc.ClickHouseError as e:
        sys.exit(f"bench/b6.py: ClickHouse refused {e}")


def main():
    try:
        ports = cc.start(CLUSTER)
        lib = os.path.join(WORK, "lib.dlib")
        subprocess.run([DECREE, "build", f"{ROOT}/rulesets/cn-pboc-lvtr", f"{ROOT}/rulesets/aml-typologies", "-o", lib],
                       check=True, capture_output=True)
        cc.apply_ddl(ports, subprocess.run([DECREE, "sql", lib, "--dialect", "clickhouse", "--ddl"], check=True,
                                           capture_output=True, text=True).stdout)
    except cc.ClickHouseError as e:
        sys.exit(f"bench/b6.py: {e}")
    lowered = subprocess.run([DECREE, "sql", lib, "--dialect", "clickhouse"], capture_output=True, text=True)
    selects = list(cc.statements(lowered.stdout))
    rules = [re.search(r"SELECT '([\w.]+)' AS rule", s).group(1) for s in selects]
    batch, rates, last = (os.path.join(WORK, n) for n in ("b.csv", "rates.csv", "last.csv"))
    subprocess.run([GEN, "--rows", str(rows), "--seed", "1", "--out", batch, "--rates", rates, "--last-activity", last],
                   check=True, capture_output=True)
    started = time.time()
    with open(batch, "rb") as f:  # in pieces of about 64 MB, cut at line ends
        header = f.readline()
        while True:
            piece = f.read(64 << 20)
            if not piece:
                break
            piece += f.readline()
            query(ports[0], "INSERT INTO Transaction FORMAT CSVWithNames", header + piece)
    load = time.time() - started
    for p in ports:
        query(p, "INSERT INTO usd_rate FORMAT CSVWithNames", open(rates, "rb").read())
        query(p, "INSERT INTO last_activity FORMAT CSVWithNames", open(last, "rb").read())
    shard_rows = [int(query(p, "SELECT count() FROM Transaction_local")) for p in ports]
    sql_times, results = [], {}
    for _ in range(3):
        started = time.time()
        for rule, s in zip(rules, selects):
            results[rule] = sorted(query(ports[0], s + "\nFORMAT TabSeparated").splitlines())
        sql_times.append(time.time() - started)
    # Per shard: every rule over that shard's local table alone (the other shard idle), which is
    # what one machine of an N-shard cluster would run.  Every lowered rule groups by
    # customer_id, the sharding key, so the shards' findings together are the cluster's.
    shard_times = []
    for p in ports:
        times, rows_of = [], {}
        for _ in range(3):
            started = time.time()
            for rule, s in zip(rules, selects):
                local = s.replace("FROM `Transaction`", "FROM `Transaction_local`")
                rows_of[rule] = query(p, local + "\nFORMAT TabSeparated").splitlines()
            times.append(time.time() - started)
        shard_times.append(statistics.median(times))
        for rule in rules:
            results.setdefault(("shards", rule), []).extend(rows_of[rule])
    for rule in rules:
        if sorted(results.pop(("shards", rule))) != results[rule]:
            sys.exit(f"bench/b6.py: {rule}: the shards' local findings together differ from the cluster's")
    findings = os.path.join(WORK, "findings.jsonl")
    native_times = []
    for _ in range(3):
        if os.path.exists(findings):
            os.remove(findings)
        started = time.time()
        subprocess.run([DECREE, "run", lib, "-i", batch, "-t", f"usd_rate={rates}", "-t", f"last_activity={last}", "-o", findings,
                        "-q", "--threads", "2"], check=True)
        native_times.append(time.time() - started)
    native = cc.findings_rows(findings)
    compared = 0
    for rule in rules:
        if results[rule] != sorted(native.get(rule, [])):
            sys.exit(f"bench/b6.py: {rule}: {len(results[rule])} rows on the cluster, {len(native.get(rule, []))} natively")
        compared += len(results[rule])
    sql_t, native_t = statistics.median(sql_times), statistics.median(native_times)
    refused = re.findall(r"not lowered: ([\w.]+)", lowered.stderr)
    engine = engine_runs(ports, lib, batch, rates, last, refused)
    print(f"b6: {rows} rows ({shard_rows[0]} + {shard_rows[1]} per shard), load {load:.2f} s; {len(rules)} lowered rules on the "
          f"cluster {sql_t:.2f} s (median of 3), per shard alone {shard_times[0]:.2f} + {shard_times[1]:.2f} s; native decree run "
          f"(all {len(rules) + len(refused)} rules) {native_t:.2f} s; {compared} findings identical; " + engine["summary"])
    # Projection: a shard's time grows with its rows; N machines like this one, each holding
    # rows / N, take about the slower shard's time x 2 / N (the coordinator's merge of the
    # findings, a few thousand rows, is left out).
    slow = max(shard_times)
    projection = "\n".join(f"| {n} | {rows // n:,} | {slow * 2 / n:.2f} | {slow * 2 / n / native_t:.2f}× |" for n in (2, 4, 8, 16, 32))
    if write:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        section = f"""## B6 — the lowered rules on a two-shard ClickHouse cluster (partial)

`bench/run.sh B6 --rows {rows}` on {time.strftime('%Y-%m-%d', time.gmtime())}, commit `{commit}`; both ClickHouse 18.16
servers (scripts/clickhouse-cluster.sh) and Decree on this machine's {os.cpu_count()} cores. The batch of B1/B2
(`decree-gen --rows {rows} --seed 1`) was loaded through the Distributed table sharded by
`cityHash64(customer_id)` ({shard_rows[0]:,} + {shard_rows[1]:,} rows) in {load:.2f} s, not counted below. Every
lowered rule's rows were checked equal to the native findings of that rule as (rule, key, txn_ids):
{compared:,} findings.

| system | what runs | seconds (median of 3) |
|---|---|---:|
| ClickHouse, 2 shards | the {len(rules)} lowered rules of `cn-pboc-lvtr` + `aml-typologies`, one query each, in turn | {sql_t:.2f} |
| Decree `run`, 2 threads | all {len(rules) + len(refused)} rules, CSV to findings.jsonl with totals, due dates and explanations | {native_t:.2f} |

The ratio, cluster / native: **{sql_t / native_t:.1f}×** — on one machine the native runtime is the faster
path, and the cluster does less (no totals, due dates, explanations or reject checks{'; ' + ', '.join(refused) + ' not lowered' if refused else ''}). Both shards run on the same two cores here.

**Per shard, and a projection to N shards.** Each shard ran every lowered rule over its own local table
alone (the other idle; median of 3): {shard_times[0]:.2f} s and {shard_times[1]:.2f} s. Every lowered rule groups by
`customer_id`, the sharding key, so the two shards' local findings together were checked equal to the
cluster's. A shard's time grows with its rows, so N machines like this one (2 cores each), each holding
rows / N, would take about the slower shard's time × 2 / N; the coordinator's merge of the findings is
left out, and so are network costs. A projection, not a measurement:

| shards | rows per shard | projected seconds | projected / native on one machine |
|---:|---:|---:|---:|
{projection}

{engine["section"]}
"""
        report = os.path.join(WORK, "b6.md")
        open(report, "w", encoding="utf-8").write(section)
        subprocess.run(["bash", "-c", 'source bench/lib.sh && write_section B6 "$1"', "b6", report], cwd=ROOT, check=True)


def engine_runs(ports, lib, batch, rates, last, refused):
    """`decree run --engine` end to end (the batch uploaded from its CSV; then the batch already
    in the cluster, --input-table), against `decree run` over the same rules, 3 runs each: the
    findings files must be identical byte for byte.  Returns the summary and the doc section."""
    url = f"clickhouse://127.0.0.1:{ports[0]}/default"
    skip = [a for r in refused for a in ("--skip-rule", r)]
    tables = ["-t", f"usd_rate={rates}", "-t", f"last_activity={last}"]
    times, phases, outputs = {}, {}, {}
    for mode, extra in (("native", ["-i", batch]), ("upload", ["-i", batch, "--engine", url]),
                        ("table", ["--engine", url, "--input-table", "Transaction"])):
        out = os.path.join(WORK, f"{mode}.jsonl")
        times[mode] = []
        for _ in range(3):
            started = time.time()
            p = subprocess.run([DECREE, "run", lib, *extra, *tables, *skip, "-o", out, "--threads", "2"], capture_output=True, text=True,
                               env=dict(os.environ, DECREE_TIMING="1"))
            times[mode].append(time.time() - started)
            if p.returncode != 0:
                sys.exit(f"bench/b6.py: decree run ({mode}) failed: {p.stderr[-2000:]}")
            phases[mode] = re.findall(r"decree timing: (tables in the engine|read and upload the batch|check the table's rows|"
                                      r"rules in the engine[^0-9]*|fetch back \(\d+ records\)|native evaluation|write)\s+([0-9.]+) s", p.stderr)
        outputs[mode] = open(out, "rb").read()
    for mode in ("upload", "table"):
        if outputs[mode] != outputs["native"]:
            sys.exit(f"bench/b6.py: decree run --engine ({mode}) wrote other findings than the native run")
    med = {m: statistics.median(t) for m, t in times.items()}
    findings = outputs["native"].count(b"\n")
    summary = (f"run --engine {med['upload']:.2f} s (upload), {med['table']:.2f} s (--input-table), native same rules {med['native']:.2f} s, "
               f"{findings} findings identical")
    rows_of = lambda m: "; ".join(f"{what.strip()} {sec} s" for what, sec in phases[m])
    section = f"""**`decree run --engine`, end to end** (same day, same cluster; the {len(refused)} rules not lowered left out with
`--skip-rule` on every side; medians of 3; every findings file identical to the native run's, byte for
byte, {findings:,} findings):

| run | seconds | ratio to native |
|---|---:|---:|
| `decree run` (native), the same rules | {med['native']:.2f} | 1.0× |
| `decree run --engine URL -i batch.csv` (uploads the batch) | {med['upload']:.2f} | {med['upload'] / med['native']:.1f}× |
| `decree run --engine URL --input-table Transaction` (the batch already loaded) | {med['table']:.2f} | {med['table'] / med['native']:.1f}× |

Phases of the last run (`DECREE_TIMING=1`): upload — {rows_of('upload')}. Table — {rows_of('table')}.
"""
    return {"summary": summary, "section": section}


try:
    main()
finally:
    cc.stop(CLUSTER)
    shutil.rmtree(WORK, ignore_errors=True)
