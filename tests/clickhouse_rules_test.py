#!/usr/bin/env python3
"""The rules `decree sql` lowers, run on the local two-shard ClickHouse cluster, against the
native runtime: generated batches (three seeds, the third sharded at random rather than by
customer) are loaded through the Distributed table that
`decree sql --ddl` prints, the rates into every shard; every lowered rule's SELECT must give
exactly the native findings of that rule as (rule, key, txn_ids).  A rule that is not lowered
must be named with its construct (exit 1), never silently missing.

  tests/clickhouse_rules_test.py DECREE DECREE_GEN SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

DECREE, GEN, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(SRC, "scripts"))
import clickhouse_client as cc  # noqa: E402

WORK = tempfile.mkdtemp(prefix="decree-chrules-")
CLUSTER = os.path.join(WORK, "cluster")
# The shipped rulesets, and one rule per construct the lowering covers (tests/sql/constructs.decree).
RULESETS = [f"{SRC}/rulesets/{r}" for r in ("cn-pboc-lvtr", "aml-typologies", "us-fincen-ctr")] + [f"{SRC}/tests/sql/constructs.decree"]


def fail(msg):
    print(f"clickhouse_rules_test: FAIL: {msg}")
    sys.exit(1)


def query(port, sql, data=None):
    try:
        return cc.query(port, sql, data, timeout=120)
    except cc.ClickHouseError as e:
        fail(f"ClickHouse refused:\n{e}")


def main():
    try:
        ports = cc.start(CLUSTER)
    except cc.ClickHouseError as e:
        fail(str(e))
    lib = os.path.join(WORK, "lib.dlib")
    subprocess.run([DECREE, "build", *RULESETS, "-o", lib], check=True, capture_output=True)
    ddl = subprocess.run([DECREE, "sql", lib, "--dialect", "clickhouse", "--ddl"], check=True, capture_output=True, text=True).stdout
    try:
        cc.apply_ddl(ports, ddl)
    except cc.ClickHouseError as e:
        fail(f"the DDL did not apply:\n{e}")
    lowered = subprocess.run([DECREE, "sql", lib, "--dialect", "clickhouse"], capture_output=True, text=True)
    refused = re.findall(r"not lowered: ([\w.]+): (.+)", lowered.stderr)
    if lowered.returncode != (1 if refused else 0):
        fail(f"exit {lowered.returncode} with {len(refused)} rules named as not lowered: {lowered.stderr}")
    selects = list(cc.statements(lowered.stdout))
    rules = [re.search(r"SELECT '([\w.]+)' AS rule", s).group(1) for s in selects]
    if len(rules) < 6:
        fail(f"only {rules} lowered")
    compared = 0
    # Two seeds sharded by customer (the --ddl table), then one sharded at random: a group's
    # records on both shards must give the same findings.
    # Then the first seed again with its times on whole hours: the windows' bounds met exactly.
    # The fifth: the second with some fields empty (a text, an optional country).
    for seed, sharding, snapped, blanks in ((3, None, False, False), (8, None, False, False), (5, "rand()", False, False),
                                            (3, "rand()", True, False), (8, "rand()", False, True)):
        if sharding is not None:
            query(ports[0], "DROP TABLE Transaction")
            query(ports[0], f"CREATE TABLE Transaction AS Transaction_local ENGINE = Distributed(decree, default, Transaction_local, {sharding})")
        for p in ports:
            query(p, "TRUNCATE TABLE Transaction_local")
            query(p, "TRUNCATE TABLE usd_rate")
        batch, rates, last = (os.path.join(WORK, n) for n in ("b.csv", "rates.csv", "last.csv"))
        subprocess.run([GEN, "--rows", "20000", "--seed", str(seed), "--out", batch, "--rates", rates, "--last-activity", last],
                       check=True, capture_output=True)
        if snapped:
            cc.snap_to_hours(batch)
        if blanks:
            cc.blank_fields(batch)
        query(ports[0], "INSERT INTO Transaction FORMAT CSVWithNames", open(batch, "rb").read())
        for p in ports:
            query(p, "TRUNCATE TABLE last_activity")
            query(p, "TRUNCATE TABLE seen")
            query(p, "INSERT INTO usd_rate FORMAT CSVWithNames", open(rates, "rb").read())
            query(p, "INSERT INTO last_activity FORMAT CSVWithNames", open(last, "rb").read())
            query(p, "INSERT INTO seen FORMAT CSVWithNames", open(last, "rb").read())
        findings = os.path.join(WORK, "findings.jsonl")
        subprocess.run([DECREE, "run", lib, "-i", batch, "-t", f"usd_rate={rates}", "-t", f"last_activity={last}", "-t", f"seen={last}", "-o", findings, "-q"],
                       check=True)
        native = cc.findings_rows(findings, set(rules))
        for rule, sql in zip(rules, selects):
            got = sorted(query(ports[0], sql + "\nFORMAT TabSeparated").splitlines())
            want = sorted(native.get(rule, []))
            if got != want:
                extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
                fail(f"seed {seed}{' on whole hours' if snapped else ''}{' with empty fields' if blanks else ''}, {rule}: {len(got)} rows on the cluster, {len(want)} natively; "
                     f"only on the cluster: {extra[:3]}; only native: {missing[:3]}")
            compared += len(want)
    if compared == 0:
        fail("no findings compared")
    print(f"clickhouse_rules_test: {len(rules)} rules lowered ({', '.join(rules)}) give the native findings on the "
          f"two-shard cluster: {compared} findings over three seeds (one sharded at random), one on whole hours and one with empty fields; not lowered: "
          + ("; ".join(f"{r} ({why})" for r, why in refused) or "none"))


try:
    main()
finally:
    cc.stop(CLUSTER)
    shutil.rmtree(WORK, ignore_errors=True)
