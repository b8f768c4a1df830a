#!/usr/bin/env python3
"""`decree run --engine clickhouse://…` on the local two-shard cluster against the native run:
the same findings.jsonl and rejects file byte for byte, the same summary counts and exit
status, for generated batches (two seeds) through cn-pboc-lvtr, aml-typologies (with
last_activity; once more whole, its path rules run natively with --native-fallback), us-fincen-ctr and the lowering's construct rules (rules `decree sql` refuses,
named with their construct, are left out of both runs: the two path rules, three constructs),
a batch with bad rows (malformed values, a short record, a blank line, a record over two lines)
and records whose currency has no rate (rejected by the native evaluation), and a PBoC
large-value filing with mistakes through filing-checks.  Then reliability: a shard that is down,
a server that never answers (--engine-timeout) and one that drops the connection each give a
clear error, exit 1 and no findings file; and no table of a run is left on the shards.

  tests/clickhouse_run_test.py DECREE DECREE_GEN SOURCE_DIR
"""
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

DECREE, GEN, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(SRC, "scripts"))
import clickhouse_client as cc  # noqa: E402

WORK = tempfile.mkdtemp(prefix="decree-chrun-")
CLUSTER = os.path.join(WORK, "cluster")


def fail(msg):
    print(f"clickhouse_run_test: FAIL: {msg}")
    sys.exit(1)


def run(args, **kw):
    return subprocess.run([DECREE, *args], capture_output=True, text=True, **kw)


def summary(stderr):
    """The summary line without its time, and the reject lines under it."""
    lines = [l for l in stderr.splitlines() if not l.startswith("decree timing")]
    return [re.sub(r"\(see [^)]*\)", "(see REJECTS)", re.sub(r"; [0-9.]+ s \(.*\)$", "", l)) for l in lines]


def compare(name, lib, batch, extra, url, engine_extra=()):
    """Runs natively and on the engine; everything they write must be the same."""
    out = {}
    for mode in ("native", "engine"):
        f, r = os.path.join(WORK, f"{mode}.jsonl"), os.path.join(WORK, f"{mode}.rejects.jsonl")
        args = ["run", lib, "-i", batch, "-o", f, "--rejects", r, "--max-rejects", "1000", *extra]
        if mode == "engine":
            args += ["--engine", url, *engine_extra]
        p = run(args)
        if p.returncode != 0:
            fail(f"{name}: {mode} run exited {p.returncode}: {p.stderr}")
        out[mode] = (open(f, "rb").read(), open(r, "rb").read(), summary(p.stderr))
    (nf, nr, ns), (ef, er, es) = out["native"], out["engine"]
    if nf != ef:
        a, b = nf.decode().splitlines(), ef.decode().splitlines()
        diff = next((f"native {x[:300]}\n    engine {y[:300]}" for x, y in zip(a, b) if x != y), "")
        fail(f"{name}: findings differ ({len(a)} native, {len(b)} on the engine)\n    {diff}")
    if nr != er:
        fail(f"{name}: rejects differ:\nnative {nr.decode()[:600]}\nengine {er.decode()[:600]}")
    if ns != es:
        fail(f"{name}: summaries differ:\nnative {ns}\nengine {es}")
    return nf.count(b"\n"), nr.count(b"\n")


def spoil(src, dst):
    """A copy of a generated batch with bad rows and records without a rate."""
    rows = list(csv.reader(open(src, newline="", encoding="utf-8")))
    h = rows[0]
    amount, direction, booked, cur = (h.index(c) for c in ("amount", "direction", "booked_at", "currency"))
    body = rows[1:]
    body[5][amount] = "12,00"
    body[9][direction] = "sideways"
    body[15][booked] = "2026-02-30T10:00:00+08:00"
    body[20][amount] = "1.123"
    body[50][4] = "Multi\nLine"
    moved = 0
    for r in body:  # a currency the rates do not cover: the native evaluation rejects these
        if r[cur] == "USD" and moved < 7:
            r[cur] = "CHF"
            moved += 1
    with open(dst, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(h)
        for i, r in enumerate(body):
            if i == 30:
                f.write("\n")
            if i == 40:
                f.write(",".join(r[:5]) + "\n")
                continue
            w.writerow(r)


def other_formats(src, jsonl, db):
    """The batch `src` as JSON Lines with bad records (a malformed value, a duplicated key, a
    line that is not JSON, a value over two lines) and as a SQLite table."""
    import sqlite3
    rows = list(csv.reader(open(src, newline="", encoding="utf-8")))
    head, body = rows[0], rows[1:]
    with open(jsonl, "w", encoding="utf-8") as f:
        for i, r in enumerate(body):
            rec = dict(zip(head, r))
            if i == 3:
                rec["amount"] = "12,00"
            if i == 8:
                rec["customer_name"] = "two\nlines"
            line = json.dumps(rec, ensure_ascii=False)
            if i == 5:
                line = line[:-1] + ', "amount": "999999.00"}'
            if i == 7:
                line = line[:40]
            f.write(line + "\n")
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE transactions ({', '.join(h + ' TEXT' for h in head)})")
    con.executemany(f"INSERT INTO transactions VALUES ({', '.join('?' * len(head))})", [r for r in body if len(r) == len(head)])
    con.commit()
    con.close()


def loadable_spoil(src, dst):
    """A copy of a generated batch with values a typed ClickHouse table accepts but the native
    reader rejects, a currency without a rate, and a name over two lines."""
    rows = list(csv.reader(open(src, newline="", encoding="utf-8")))
    c = {k: i for i, k in enumerate(rows[0])}
    b = rows[1:]
    for row, col, value in ((5, "direction", "sideways"), (9, "amount", "1.123"), (15, "booked_at", "2026-02-30T10:00:00+08:00"),
                            (20, "counterparty_country", "XX"), (25, "cross_border", "yes"), (30, "currency", "CHF"),
                            (31, "currency", "ABC"), (40, "booked_at", "2026-03-01T24:00:00+08:00"), (41, "customer_name", "two\nlines"),
                            (44, "amount", "2.5"), (47, "counterparty_name", "")):
        b[row][c[col]] = value
    csv.writer(open(dst, "w", newline="", encoding="utf-8"), lineterminator="\n").writerows([rows[0]] + b)


def table_inputs(ports, url, libs, batch, rates, last, skip):
    """--input-table: the batch loaded into the `--ddl` tables (typed, sharded by customer: the
    shard-local plan) and into a table of String columns sharded at random (cast by Decree,
    global plan); findings as natively, rejects the native reader's (named by table and id)."""
    ddl = run(["sql", libs["aml"], "--dialect", "clickhouse", "--ddl"]).stdout
    cc.apply_ddl(ports, ddl)
    cols = ", ".join(f"`{c}` String" for c in open(batch, encoding="utf-8").readline().strip().split(","))
    for p in ports:
        cc.query(p, f"CREATE TABLE S_local ({cols}) ENGINE = MergeTree ORDER BY txn_id")
    cc.query(ports[0], "CREATE TABLE S AS S_local ENGINE = Distributed(decree, default, S_local, rand())")
    data = open(batch, "rb").read()
    for t in ("Transaction", "S"):
        cc.query(ports[0], f"INSERT INTO {t} FORMAT CSVWithNames", data)
    count = 0
    for name, extra in (("lvtr", ["-t", f"usd_rate={rates}"]), ("aml", ["-t", f"usd_rate={rates}", "-t", f"last_activity={last}"] + skip["aml"])):
        f, r = os.path.join(WORK, "tn.jsonl"), os.path.join(WORK, "tn.rejects.jsonl")
        p = run(["run", libs[name], "-i", batch, "-o", f, "--rejects", r, "--max-rejects", "100", "--multiline-records", *extra])
        if p.returncode != 0:
            fail(f"native run over {batch}: {p.stderr}")
        want_f = open(f, "rb").read()
        want_r = sorted((j.get("record_id"), j["reason"]) for j in map(json.loads, open(r, encoding="utf-8")))
        for table in ("Transaction", "S"):
            p = run(["run", libs[name], "--engine", url, "--input-table", table, "-o", f, "--rejects", r, "--max-rejects", "100", *extra],
                    env=dict(os.environ, DECREE_TIMING="1"))
            if p.returncode != 0:
                fail(f"--input-table {table}, {name}: exit {p.returncode}: {p.stderr}")
            if ("rules in the engine (shard-local)" in p.stderr) != (table == "Transaction"):
                fail(f"--input-table {table}: the plan should be {'shard-local' if table == 'Transaction' else 'global'}")
            got = [json.loads(l) for l in open(r, encoding="utf-8")]
            if open(f, "rb").read() != want_f:
                fail(f"--input-table {table}, {name}: findings differ from the native run's")
            if sorted((j.get("record_id"), j["reason"]) for j in got) != want_r or any(j["position"] != f"table {table}" for j in got):
                fail(f"--input-table {table}, {name}: rejects {got[:3]}, natively {want_r[:3]}")
            count += want_f.count(b"\n")
    # A table Decree cannot read as the layout: refused, naming the column.
    cc.query(ports[0], f"CREATE TABLE F ({cols.replace('`amount` String', '`amount` Float64')}) ENGINE = Memory")
    refused("a column of another type", ["run", libs["lvtr"], "--engine", url, "--input-table", "F", "-t", f"usd_rate={rates}"],
            r"column amount is Float64; expected Decimal\(38, 4\)")
    refused("a table name that is not a name", ["run", libs["lvtr"], "--engine", url, "--input-table", "F;DROP", "-t", f"usd_rate={rates}"],
            r"a table name is letters, digits and _")
    return count, len(want_r)


class Listener:
    """A TCP server on a free port that never answers (`drop`: closes each connection)."""

    def __init__(self, drop):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self.serve, args=(drop,), daemon=True).start()

    def serve(self, drop):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if drop:
                c.recv(65536)
                c.close()
            else:
                self.held.append(c)


def refused(name, args, expect):
    """A run that must fail: exit 1, `expect` in its message, no findings file written."""
    f = os.path.join(WORK, "refused.jsonl")
    if os.path.exists(f):
        os.remove(f)
    p = run([*args, "-o", f], timeout=120)
    if p.returncode != 1 or not re.search(expect, p.stderr):
        fail(f"{name}: exit {p.returncode}, expected 1 and /{expect}/: {p.stderr}")
    if os.path.exists(f):
        fail(f"{name}: a findings file was written")
    return p.stderr.strip().splitlines()[0]


def main():
    try:
        ports = cc.start(CLUSTER)
    except cc.ClickHouseError as e:
        fail(str(e))
    url = f"clickhouse://127.0.0.1:{ports[0]}/default"
    libs, skip, refusals = {}, {}, 0
    for name, sources in (("lvtr", ["rulesets/cn-pboc-lvtr"]), ("aml", ["rulesets/aml-typologies"]), ("ctr", ["rulesets/us-fincen-ctr"]),
                          ("constructs", ["tests/sql/constructs.decree"]), ("filing", ["rulesets/filing-checks"])):
        libs[name] = os.path.join(WORK, f"{name}.dlib")
        p = run(["build", *[os.path.join(SRC, s) for s in sources], "-o", libs[name], "-q"])
        if p.returncode != 0:
            fail(f"build {name}: {p.stderr}")
        # Rules the lowering refuses (named with their construct) are left out of both runs.
        layout = ["--layout", "LvtrRecord"] if name == "filing" else []
        lowered = run(["sql", libs[name], "--dialect", "clickhouse", *layout])
        skip[name] = [a for r in re.findall(r"not lowered: ([\w.]+):", lowered.stderr) for a in ("--skip-rule", r)]
        refusals += len(skip[name]) // 2
    total = [0, 0]
    for seed in (3, 8):
        batch, rates, last = (os.path.join(WORK, f"{n}{seed}.csv") for n in ("b", "rates", "last"))
        subprocess.run([GEN, "--rows", "20000", "--seed", str(seed), "--out", batch, "--rates", rates, "--last-activity", last],
                       check=True, capture_output=True)
        bad = os.path.join(WORK, f"bad{seed}.csv")
        spoil(batch, bad)
        tables = ["-t", f"usd_rate={rates}", "-t", f"last_activity={last}"]
        for b in (batch, bad):
            for name, extra in (("lvtr", ["-t", f"usd_rate={rates}"]), ("aml", tables), ("ctr", ["-t", f"usd_rate={rates}"]),
                                ("constructs", ["-t", f"usd_rate={rates}", "-t", f"seen={last}"])):
                counts = compare(f"seed {seed} {os.path.basename(b)} {name}", libs[name], b, extra + skip[name], url)
                total = [total[0] + counts[0], total[1] + counts[1]]
        counts = compare(f"seed {seed} multi-line records allowed", libs["aml"], bad, tables + skip["aml"] + ["--multiline-records"], url)
        total = [total[0] + counts[0], total[1] + counts[1]]
        # Every rule of aml-typologies: the path rules, not lowered, natively over a batch with
        # planted fund flows (chains, cycles), their findings merged in order.
        flows = os.path.join(WORK, f"flows{seed}.csv")
        subprocess.run([GEN, "--rows", "20000", "--seed", str(seed), "--flows", "30", "--out", flows], check=True, capture_output=True)
        counts = compare(f"seed {seed} aml-typologies whole, --native-fallback", libs["aml"], flows, tables, url, ["--native-fallback"])
        if b"aml.layering_chain" not in open(os.path.join(WORK, "engine.jsonl"), "rb").read():
            fail("no path finding to merge: the flows batch has no layering chain")
        total = [total[0] + counts[0], total[1] + counts[1]]
        lvtr_filing = os.path.join(WORK, f"filing{seed}.csv")
        cc.lvtr_filing(DECREE, libs["lvtr"], batch, rates, os.path.join(SRC, "examples", "institution.json"), lvtr_filing)
        counts = compare(f"seed {seed} filing-checks", libs["filing"], lvtr_filing, ["--layout", "LvtrRecord"] + skip["filing"], url)
        if counts[0] < 5:
            fail(f"filing-checks found only {counts[0]} mistakes")
        filing_findings = counts[0] if seed == 3 else filing_findings + counts[0]
        total = [total[0] + counts[0], total[1] + counts[1]]
        # filing-checks' XML layouts, over CSV copies of a FinCEN CTR and a goAML filing.
        for layout, path in cc.xml_filing_csvs(DECREE, WORK, libs, batch, rates, os.path.join(SRC, "examples", "institution.json"),
                                               libs["filing"]).items():
            counts = compare(f"seed {seed} filing-checks {layout}", libs["filing"], path, ["--layout", layout], url)
            if counts[0] < 3:
                fail(f"filing-checks {layout} found only {counts[0]} mistakes")
            filing_findings += counts[0]
            total = [total[0] + counts[0], total[1] + counts[1]]
    # Batches that are not CSV: uploaded as the values the native reader read, rendered.
    jsonl, db = os.path.join(WORK, "b3.jsonl"), os.path.join(WORK, "b3.db")
    other_formats(os.path.join(WORK, "bad3.csv"), jsonl, db)
    r3, l3 = os.path.join(WORK, "rates3.csv"), os.path.join(WORK, "last3.csv")
    for b in (jsonl, db):
        for name, extra in (("lvtr", ["-t", f"usd_rate={r3}"]), ("aml", ["-t", f"usd_rate={r3}", "-t", f"last_activity={l3}"])):
            counts = compare(f"{os.path.basename(b)} {name}", libs[name], b, extra, url, ["--native-fallback"])
            total = [total[0] + counts[0], total[1] + counts[1]]
    loadable = os.path.join(WORK, "loadable.csv")
    loadable_spoil(os.path.join(WORK, "b3.csv"), loadable)
    table_findings, table_rejects = table_inputs(ports, url, libs, loadable, os.path.join(WORK, "rates3.csv"), os.path.join(WORK, "last3.csv"), skip)
    # Reliability.
    small = os.path.join(WORK, "b3.csv")
    base = ["run", libs["lvtr"], "-i", small, "-t", f"usd_rate={os.path.join(WORK, 'rates3.csv')}"]
    silent, dropping = Listener(False), Listener(True)
    msgs = [refused("a server that never answers", base + ["--engine", f"clickhouse://127.0.0.1:{silent.port}/default", "--engine-timeout", "2"],
                    r"no answer within 2 s"),
            refused("a server that drops the connection", base + ["--engine", f"clickhouse://127.0.0.1:{dropping.port}/default"],
                    r"the connection was lost (before an answer|while the query was sent)")]
    pid2 = int(open(os.path.join(CLUSTER, "shard2", "pid")).read())
    os.kill(pid2, 19)  # SIGSTOP: shard 2 stops answering
    try:
        msgs.append(refused("a shard that does not answer", base + ["--engine", url, "--engine-timeout", "3"], r"shard 2 of cluster decree"))
    finally:
        os.kill(pid2, 18)  # SIGCONT
    for p in ports:
        left = [t for t in cc.query(p, "SHOW TABLES").split() if t.startswith("decree_")]
        if left:
            fail(f"tables left on the shard at port {p}: {left}")
    print(f"clickhouse_run_test: decree run --engine wrote the native findings and rejects byte for byte: {total[0]} findings and "
          f"{total[1]} rejects over two seeds, plain and spoiled, four rulesets, constructs and a filing ({filing_findings} filing-checks findings; {refusals} rules not lowered left out); "
          f"--input-table (typed and shard-local, String and global): {table_findings} findings, {table_rejects} rejects as natively; refused as it should: "
          + " | ".join(msgs))


try:
    main()
finally:
    cc.stop(CLUSTER)
    shutil.rmtree(WORK, ignore_errors=True)
