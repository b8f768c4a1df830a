#!/usr/bin/env python3
"""Fund-flow paths: decree run's aml.layering_chain and aml.round_trip against an independent
implementation, recursive SQL on SQLite written from rulesets.md ("Fund flows"), path for path.

    flows_test.py DECREE DECREE_GEN SOURCE_DIR

For several seeds, decree-gen plants chains, cycles, scatter-gather and near misses (48 h + 1 s,
one fen under 80 %, a repeated account, 7 days + 1 s) with chance links among them; both sides
must report the same findings (key, txn_ids) with the same paths in the same order.
"""
import json, os, sqlite3, subprocess, sys, tempfile
from datetime import datetime
from decimal import Decimal

DECREE, GEN, SRC = sys.argv[1:4]
HOP, WEEK = 48 * 3600, 7 * 24 * 3600


def load(db, batch):
    import csv
    db.execute("CREATE TABLE hop (txn TEXT, src TEXT, dst TEXT, t INTEGER, amt INTEGER, stamp TEXT)")
    rows = []
    with open(batch, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["channel"] != "transfer" or r["direction"] != "out" or r["currency"] != "CNY" or r["counterparty_account"] == "":
                continue
            t = int(datetime.fromisoformat(r["booked_at"].replace("Z", "+00:00")).timestamp())
            rows.append((r["txn_id"], r["account_id"], r["counterparty_account"], t, int(Decimal(r["amount"]) * 100), r["booked_at"]))
    db.executemany("INSERT INTO hop VALUES (?,?,?,?,?,?)", rows)
    db.execute("CREATE INDEX hop_src ON hop (src, t)")
    db.execute("CREATE INDEX hop_dst ON hop (dst, t)")
    return len(rows)


# a links to b: b leaves the account a paid into, after a and at most 48 h later, moving 80 % to
# 100 % of a's amount (exact, in fen).
LINK = "b.src = p.dst AND b.t > p.t AND b.t <= p.t + {hop} AND b.amt * 10 >= p.amt * 8 AND b.amt <= p.amt".format(hop=HOP)

CHAINS = f"""
WITH RECURSIVE path(first, first_t, last, dst, t, amt, n, accts, txns) AS (
  SELECT txn, t, txn, dst, t, amt, 1, '|' || src || '|' || dst || '|', txn FROM hop WHERE src != dst
  UNION ALL
  SELECT p.first, p.first_t, b.txn, b.dst, b.t, b.amt, p.n + 1, p.accts || b.dst || '|', p.txns || ',' || b.txn
  FROM path p JOIN hop b ON {LINK}
  WHERE p.n < 8 AND instr(p.accts, '|' || b.dst || '|') = 0
)
SELECT p.first, p.txns FROM path p JOIN hop f ON f.txn = p.first
WHERE p.n >= 3
  AND (p.n = 8 OR NOT EXISTS (SELECT 1 FROM hop b WHERE {LINK} AND instr(p.accts, '|' || b.dst || '|') = 0))
  AND (p.n = 8 OR NOT EXISTS (SELECT 1 FROM hop a WHERE a.dst = f.src AND f.t > a.t AND f.t <= a.t + {HOP}
                                AND f.amt * 10 >= a.amt * 8 AND f.amt <= a.amt
                                AND instr(p.accts, '|' || a.src || '|') = 0))
"""

TRIPS = f"""
WITH RECURSIVE path(first, origin, first_t, dst, t, amt, n, accts, txns) AS (
  SELECT txn, src, t, dst, t, amt, 1, '|' || src || '|' || dst || '|', txn FROM hop
  UNION ALL
  SELECT p.first, p.origin, p.first_t, b.dst, b.t, b.amt, p.n + 1, p.accts || b.dst || '|', p.txns || ',' || b.txn
  FROM path p JOIN hop b ON {LINK}
  WHERE p.n < 6 AND p.dst != p.origin
    AND (b.dst = p.origin OR instr(p.accts, '|' || b.dst || '|') = 0)
)
SELECT first, txns FROM path WHERE n >= 2 AND dst = origin AND t <= first_t + {WEEK}
"""


def expected(db, rule, sql):
    stamp = {r[0]: r for r in db.execute("SELECT txn, src, dst, t, amt, stamp FROM hop")}
    by_first = {}
    for first, txns in db.execute(sql):
        by_first.setdefault(first, []).append(txns.split(","))
    out = {}
    for first, paths in by_first.items():
        paths.sort()
        key = (stamp[first][1], first)
        ids = sorted({t for p in paths for t in p})
        out[key] = (ids, [[(t, stamp[t][1], stamp[t][2], stamp[t][4]) for t in p] for p in paths])
    return out


def actual(findings, rule):
    out = {}
    for line in open(findings, encoding="utf-8"):
        f = json.loads(line)
        if f["rule"] != rule:
            continue
        key = (f["key"]["account_id"], f["key"]["txn_id"])
        paths = [[(h["txn_id"], h["from"], h["to"], int(Decimal(h["amount"]) * 100)) for h in p] for p in f["paths"]]
        assert key not in out, f"two findings for {key}"
        out[key] = (f["txn_ids"], paths)
    return out


def compare(batch, findings, label, totals):
    """Decree's findings against SQLite's over `batch`; the number of differences."""
    db = sqlite3.connect(":memory:")
    hops = load(db, batch)
    failures, firsts = 0, []
    for rule, sql in (("aml.layering_chain", CHAINS), ("aml.round_trip", TRIPS)):
        want, got = expected(db, rule, sql), actual(findings, rule)
        totals[rule] += sum(len(v[1]) for v in want.values())
        firsts.append(len(want))
        if want != got:
            failures += 1
            missing = sorted(set(want) - set(got))[:3]
            extra = sorted(set(got) - set(want))[:3]
            differ = sorted(k for k in set(want) & set(got) if want[k] != got[k])[:3]
            print(f"{label} {rule}: {len(want)} expected, {len(got)} found; missing {missing}, extra {extra}, differ {differ}")
            for k in differ[:1]:
                print("  want", want[k])
                print("  got ", got[k])
    print(f"{label}: {hops} hops, {firsts[0]} chains' first hops, {firsts[1]} round trips' first hops")
    return failures


def main():
    failures = 0
    totals = {"aml.layering_chain": 0, "aml.round_trip": 0}
    with tempfile.TemporaryDirectory() as work:
        lib = os.path.join(work, "aml.dlib")
        subprocess.run([DECREE, "build", f"{SRC}/rulesets/aml-typologies", "-o", lib], check=True, stdout=subprocess.DEVNULL)
        for seed, rows, permille in ((1, 20000, 30), (2, 40000, 15), (3, 15000, 60)):
            batch, findings = os.path.join(work, f"b{seed}.csv"), os.path.join(work, f"f{seed}.jsonl")
            subprocess.run([GEN, "--rows", str(rows), "--seed", str(seed), "--flows", str(permille), "--customers", "800",
                            "--out", batch], check=True, stdout=subprocess.DEVNULL)
            subprocess.run([DECREE, "run", lib, "-i", batch, "-o", findings, "--threads", "2", "-q",
                            "-t", f"last_activity={SRC}/examples/last_activity.csv"], check=True)
            failures += compare(batch, findings, f"seed {seed}", totals)
        # Past --max-memory the hops are spilled and searched slice by slice of time: the same
        # bytes as in memory, over a batch spanning 200 days (so slices are not the whole batch).
        batch, plain, spilled = (os.path.join(work, n) for n in ("long.csv", "plain.jsonl", "spilled.jsonl"))
        subprocess.run([GEN, "--rows", "120000", "--seed", "4", "--flows", "30", "--transfers", "--customers", "3000",
                        "--days", "200", "--out", batch], check=True, stdout=subprocess.DEVNULL)
        flows = os.path.join(work, "flows.dlib")  # the path rules alone: the typologies' state would pass 16 MiB
        subprocess.run([DECREE, "build", f"{SRC}/rulesets/aml-typologies/flows.decree", "-o", flows, "-q"], check=True)
        common = [DECREE, "run", flows, "-i", batch, "--threads", "2"]
        subprocess.run(common + ["-o", plain, "-q"], check=True)
        run = subprocess.run(common + ["-o", spilled, "--max-memory", "16M"], capture_output=True, text=True)
        if run.returncode != 0 or "runs were spilled" not in run.stderr:
            print(f"the spilled run did not spill or failed: {run.returncode} {run.stderr}")
            failures += 1
        elif open(plain, "rb").read() != open(spilled, "rb").read():
            print("the spilled run's findings differ from the run in memory")
            failures += 1
        else:
            failures += compare(batch, spilled, "spilled, 200 days", totals)
    # Not a comparison of two empty sets.
    if totals["aml.layering_chain"] < 100 or totals["aml.round_trip"] < 30:
        print(f"too few paths to compare: {totals}")
        failures += 1
    print(f"paths compared: {totals}")
    sys.exit(1 if failures else 0)


main()
