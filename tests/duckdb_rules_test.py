#!/usr/bin/env python3
"""The rules `decree sql --dialect duckdb` lowers, run on DuckDB (through the @duckdb/node-api
package bench/ installs), against the native runtime: generated batches of three seeds are
loaded into the tables `decree sql --dialect duckdb --ddl` prints (and one batch again with its
times on whole hours, so that windows meet their bounds exactly); every lowered rule's SELECT
must give exactly the native findings of that rule as (rule, key, txn_ids), and the findings
DuckDB finds, rendered natively from the records they need as `decree run --engine` renders
ClickHouse's, must be the native findings.jsonl byte for byte.  Then filing-checks' three
layouts over filings with mistakes.  The same lowering
runs on ClickHouse in tests/clickhouse_rules_test.py: one IR, two engines.  A rule that is not
lowered must be named with its construct (exit 1), never silently missing.

  tests/duckdb_rules_test.py DECREE DECREE_GEN SOURCE_DIR
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

DECREE, GEN, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(SRC, "scripts"))
import clickhouse_client as cc  # noqa: E402  (findings_rows, snap_to_hours, statements)

WORK = tempfile.mkdtemp(prefix="decree-duckrules-")
# The shipped rulesets, and one rule per construct the lowering covers (tests/sql/constructs.decree).
RULESETS = [f"{SRC}/rulesets/{r}" for r in ("cn-pboc-lvtr", "aml-typologies", "us-fincen-ctr")] + [f"{SRC}/tests/sql/constructs.decree"]
RUNNER = os.path.join(SRC, "bench", "peers", "duckdb_sql.mjs")
LIB = os.path.join(WORK, "lib.dlib")


def fail(msg):
    print(f"duckdb_rules_test: FAIL: {msg}")
    sys.exit(1)


def sql_text(path):
    return "'" + path.replace("'", "''") + "'"


def main():
    if not os.path.isdir(os.path.join(SRC, "bench", "node_modules", "@duckdb", "node-api")):
        fail("bench/node_modules/@duckdb/node-api is missing: scripts/setup.sh installs it (npm ci in bench/)")
    lib = LIB
    subprocess.run([DECREE, "build", *RULESETS, "-o", lib], check=True, capture_output=True)
    ddl = subprocess.run([DECREE, "sql", lib, "--dialect", "duckdb", "--ddl"], check=True, capture_output=True, text=True).stdout
    lowered = subprocess.run([DECREE, "sql", lib, "--dialect", "duckdb"], capture_output=True, text=True)
    refused = re.findall(r"not lowered: ([\w.]+): (.+)", lowered.stderr)
    if lowered.returncode != (1 if refused else 0):
        fail(f"exit {lowered.returncode} with {len(refused)} rules named as not lowered: {lowered.stderr}")
    selects = list(cc.statements(lowered.stdout))
    rules = [re.search(r"SELECT '([\w.]+)' AS rule", s).group(1) for s in selects]
    if len(rules) < 6:
        fail(f"only {rules} lowered")
    queries = os.path.join(WORK, "queries.sql")
    open(queries, "w", encoding="utf-8").write("".join(s + ";\n" for s in selects))
    compared = rendered = 0
    # Three seeds, and the first again with its times on whole hours (the windows' bounds).
    # The fifth: the second with some fields empty (a text, an optional country).
    for seed, snapped, blanks in ((3, False, False), (8, False, False), (5, False, False), (3, True, False), (8, False, True)):
        batch, rates, last = (os.path.join(WORK, n) for n in ("b.csv", "rates.csv", "last.csv"))
        subprocess.run([GEN, "--rows", "20000", "--seed", str(seed), "--out", batch, "--rates", rates, "--last-activity", last],
                       check=True, capture_output=True)
        if snapped:
            cc.snap_to_hours(batch)
        if blanks:
            cc.blank_fields(batch)
        setup = os.path.join(WORK, "setup.sql")
        # Empty fields kept as '' (a text is the empty string natively; the lowering reads an
        # empty optional field as null, as the native reader does).
        loads = "".join(f'INSERT INTO "{t}" BY NAME SELECT * FROM read_csv({sql_text(f)}, header = true, all_varchar = true, nullstr = \'\\N\');\n'
                        for t, f in (("Transaction", batch), ("usd_rate", rates), ("last_activity", last), ("seen", last)))
        open(setup, "w", encoding="utf-8").write(ddl + "\n" + loads)
        out = os.path.join(WORK, f"out{seed}{'h' if snapped else ''}{'b' if blanks else ''}")
        os.makedirs(out)
        run = subprocess.run(["node", RUNNER, setup, queries, out], capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"DuckDB refused (seed {seed}):\n{run.stderr[-3000:]}")
        findings = os.path.join(WORK, "findings.jsonl")
        subprocess.run([DECREE, "run", lib, "-i", batch, "-t", f"usd_rate={rates}", "-t", f"last_activity={last}", "-t", f"seen={last}", "-o", findings, "-q"],
                       check=True)
        native = cc.findings_rows(findings, set(rules))
        for i, rule in enumerate(rules):
            got = sorted(open(os.path.join(out, f"{i}.tsv"), encoding="utf-8").read().splitlines())
            want = sorted(native.get(rule, []))
            if got != want:
                extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
                fail(f"seed {seed}{' on whole hours' if snapped else ''}{' with empty fields' if blanks else ''}, {rule}: {len(got)} rows on DuckDB, {len(want)} natively; "
                     f"only on DuckDB: {extra[:3]}; only native: {missing[:3]}")
            compared += len(want)
        rendered += render_natively(batch, ["-t", f"usd_rate={rates}", "-t", f"last_activity={last}", "-t", f"seen={last}"], rules, selects,
                                    out, refused)
    if compared == 0:
        fail("no findings compared")
    filing_rules, filing_compared = filing_checks(batch, rates)
    print(f"duckdb_rules_test: {len(rules)} rules lowered ({', '.join(rules)}) give the native findings on DuckDB: "
          f"{compared} findings over three seeds, one on whole hours and one with empty fields; not lowered: " + ("; ".join(f"{r} ({why})" for r, why in refused) or "none")
          + f"; findings.jsonl from DuckDB's findings rendered natively, byte for byte as the native run's: {rendered} findings"
          + f"; filing-checks over a PBoC large-value, a FinCEN CTR and a goAML filing with mistakes: {filing_rules} rules, {filing_compared} findings")


def render_natively(batch, tables, rules, selects, out, refused):
    """As `decree run --engine` does with ClickHouse (docs/scale-out.md): DuckDB decides which
    findings exist; the records they need (a row or `per` finding's own records, a window
    finding's customer's) are evaluated natively, and of those findings the ones DuckDB found
    (rule and key) kept.  The result must be the native run's findings.jsonl, byte for byte."""
    windowed = {rule for rule, s in zip(rules, selects) if "row_number() OVER ()" in s}
    keys, ids, window_ids = set(), set(), set()
    for i, rule in enumerate(rules):
        for row in open(os.path.join(out, f"{i}.tsv"), encoding="utf-8").read().splitlines():
            r, key, txns = row.split("\t")
            keys.add((r, key))
            (window_ids if rule in windowed else ids).update(txns.split(","))
    lines = open(batch, encoding="utf-8").read().splitlines(keepends=True)
    head = next(csv.reader(lines[:1]))
    records = list(csv.reader(lines[1:]))  # generated batches: one line a record
    tid, cid = head.index("txn_id"), head.index("customer_id")
    customers = {r[cid] for r in records if r[tid] in window_ids}
    subset = os.path.join(WORK, "subset.csv")
    open(subset, "w", encoding="utf-8").write(lines[0] + "".join(l for l, r in zip(lines[1:], records) if r[tid] in ids or r[cid] in customers))
    skip = [a for r, _ in refused for a in ("--skip-rule", r)]
    full, part = os.path.join(WORK, "full.jsonl"), os.path.join(WORK, "part.jsonl")
    subprocess.run([DECREE, "run", LIB, "-i", batch, *tables, *skip, "-o", full, "-q"], check=True)
    subprocess.run([DECREE, "run", LIB, "-i", subset, *tables, *skip, "-o", part, "-q"], check=True)
    kept = [l for l in open(part, encoding="utf-8")
            if (lambda f: (f["rule"], "|".join(str(v) for v in f.get("key", {}).values())) in keys)(json.loads(l))]
    want = open(full, encoding="utf-8").readlines()
    if kept != want:
        fail(f"findings rendered from DuckDB's: {len(kept)} lines, natively {len(want)}; first differing: "
             f"{next((a[:200], b[:200]) for a, b in zip(kept + [''], want + ['']) if a != b)}")
    return len(kept)


def filing_checks(batch, rates):
    """filing-checks' rules over filings of `batch` with mistakes — a PBoC large-value CSV
    (LvtrRecord), and the records of a FinCEN CTR and a goAML XML filing as CSV (CtrDetail,
    GoamlTransaction) — on DuckDB and natively."""
    libs = {n: os.path.join(WORK, f"{n}.dlib") for n in ("lvtr", "ctr", "filing")}
    for name, src in (("lvtr", "cn-pboc-lvtr"), ("ctr", "us-fincen-ctr"), ("filing", "filing-checks")):
        subprocess.run([DECREE, "build", f"{SRC}/rulesets/{src}", "-o", libs[name], "-q"], check=True)
    institution = os.path.join(SRC, "examples", "institution.json")
    filings = {"LvtrRecord": os.path.join(WORK, "filing.csv")}
    cc.lvtr_filing(DECREE, libs["lvtr"], batch, rates, institution, filings["LvtrRecord"])
    filings.update(cc.xml_filing_csvs(DECREE, WORK, libs, batch, rates, institution, libs["filing"]))
    rules = compared = 0
    for layout, filing in filings.items():
        r, c = filing_layout(libs["filing"], layout, filing)
        rules, compared = rules + r, compared + c
    return rules, compared


def filing_layout(lib, layout, filing):
    """One layout's rules over one filing: DuckDB's rows must be the native findings'."""
    ddl = subprocess.run([DECREE, "sql", lib, "--dialect", "duckdb", "--ddl", "--layout", layout], check=True, capture_output=True, text=True).stdout
    lowered = subprocess.run([DECREE, "sql", lib, "--dialect", "duckdb", "--layout", layout], capture_output=True, text=True)
    if lowered.returncode != 0:
        fail(f"filing-checks {layout} not lowered whole: {lowered.stderr}")
    selects = list(cc.statements(lowered.stdout))
    rules = [re.search(r"SELECT '([\w.]+)' AS rule", s).group(1) for s in selects]
    queries, setup, out = (os.path.join(WORK, f"{layout}_{n}") for n in ("queries.sql", "setup.sql", "out"))
    open(queries, "w", encoding="utf-8").write("".join(s + ";\n" for s in selects))
    findings, rejects = os.path.join(WORK, f"{layout}_findings.jsonl"), os.path.join(WORK, f"{layout}_rejects.jsonl")
    subprocess.run([DECREE, "run", lib, "--layout", layout, "-i", filing, "-o", findings, "--rejects", rejects, "-q", "--max-rejects", "100"],
                   check=True)
    # DuckDB gets the records the native reader accepts (rejects are the reader's to find), an
    # empty field of a column that is not text as null (an optional value, as natively).
    bad = {int(re.match(r"line (\d+)", json.loads(l)["position"]).group(1)) for l in open(rejects, encoding="utf-8")}
    lines = open(filing, encoding="utf-8").read().splitlines(keepends=True)
    accepted = os.path.join(WORK, f"{layout}_accepted.csv")
    open(accepted, "w", encoding="utf-8").write("".join(l for i, l in enumerate(lines, 1) if i not in bad))
    typed = [c for c, t in re.findall(r'^  "(.+?)" (\w+)', ddl, re.M) if t != "VARCHAR"]
    replace = ", ".join(f'NULLIF("{c}", \'\') AS "{c}"' for c in typed)
    star = f"* REPLACE ({replace})" if typed else "*"
    load = (f'INSERT INTO "{layout}" BY NAME SELECT {star} FROM read_csv({sql_text(accepted)}, header = true, '
            f"all_varchar = true, nullstr = '\\N');\n")
    open(setup, "w", encoding="utf-8").write(ddl + "\n" + load)
    os.makedirs(out)
    run = subprocess.run(["node", RUNNER, setup, queries, out], capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"DuckDB refused the filing checks of {layout}:\n{run.stderr[-3000:]}")
    native = cc.findings_rows(findings, set(rules))
    compared = 0
    for i, rule in enumerate(rules):
        got = sorted(open(os.path.join(out, f"{i}.tsv"), encoding="utf-8").read().splitlines())
        want = sorted(native.get(rule, []))
        if got != want:
            fail(f"filing-checks {rule}: {len(got)} rows on DuckDB, {len(want)} natively; only on DuckDB: {sorted(set(got) - set(want))[:3]}; "
                 f"only native: {sorted(set(want) - set(got))[:3]}")
        compared += len(want)
    if compared < 3:
        fail(f"filing-checks {layout} found only {compared} mistakes")
    return len(rules), compared


try:
    main()
finally:
    shutil.rmtree(WORK, ignore_errors=True)
