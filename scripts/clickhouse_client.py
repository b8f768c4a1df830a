#!/usr/bin/env python3
"""The local ClickHouse cluster of scripts/clickhouse-cluster.sh, from Python: what the cluster
tests and bench/b6.py share (starting it in a directory of their own, queries over HTTP,
applying `decree sql --ddl`, and findings as the (rule, key, txn_ids) rows `decree sql`'s
queries give).  Standard library only.

  scripts/clickhouse_client.py apply-ddl DDL_FILE PORT...   the statements of `decree sql --ddl`:
                                                            the Distributed table on the first
                                                            port, the others on every port
"""
import csv
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clickhouse-cluster.sh")


class ClickHouseError(Exception):
    """A query the server refused: the query's start and the server's message."""


def query(port, sql, data=None, timeout=3600):
    """Runs `sql` on the server at `port`; with `data`, an INSERT whose rows are `data` (bytes),
    synchronous through a Distributed table.  Returns the answer's text."""
    url = f"http://127.0.0.1:{port}/"
    if data is not None:
        url += "?query=" + urllib.parse.quote(sql) + "&insert_distributed_sync=1"
    req = urllib.request.Request(url, data=data if data is not None else sql.encode())
    try:
        return urllib.request.urlopen(req, timeout=timeout).read().decode()
    except urllib.error.HTTPError as e:
        raise ClickHouseError(f"{sql[:400]}\n{e.read().decode()[:600]}") from None


def statements(text):
    """The statements of an SQL text (`;` at a line end), without their comment lines."""
    for s in text.split(";\n"):
        body = "\n".join(l for l in s.splitlines() if not l.startswith("--")).strip()
        if body:
            yield body


def start(cluster_dir):
    """Starts a cluster whose state lives in `cluster_dir`; returns the two shards' HTTP ports."""
    env = dict(os.environ, DECREE_CLICKHOUSE_DIR=cluster_dir)
    out = subprocess.run([SCRIPT, "start"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise ClickHouseError(f"the cluster did not start: {out.stderr}")
    return [re.search(r"<http_port>(\d+)</http_port>", open(f"{cluster_dir}/shard{s}/config.xml").read()).group(1) for s in (1, 2)]


def stop(cluster_dir):
    subprocess.run([SCRIPT, "stop"], env=dict(os.environ, DECREE_CLICKHOUSE_DIR=cluster_dir), capture_output=True)


def apply_ddl(ports, ddl):
    """The statements of `decree sql --ddl`: the Distributed table once, the rest on every shard."""
    for s in statements(ddl):
        for p in (ports[:1] if "ENGINE = Distributed" in s else ports):
            query(p, s)


def findings_rows(path, rules=None):
    """A findings.jsonl as `decree sql`'s rows, "rule<TAB>key values joined by |<TAB>txn_ids
    joined by ,", by rule (only `rules` when given)."""
    rows = {}
    for line in open(path, encoding="utf-8"):
        f = json.loads(line)
        if rules is None or f["rule"] in rules:
            key = "|".join(str(v) for v in f.get("key", {}).values())
            rows.setdefault(f["rule"], []).append(f"{f['rule']}\t{key}\t{','.join(f['txn_ids'])}")
    return rows


def snap_to_hours(path):
    """Rounds every booked_at down to its hour, in place: windows then meet their bounds exactly
    (48 hours to the second, 7 days, same-instant records) as random seconds rarely do."""
    rows = list(csv.reader(open(path, newline="", encoding="utf-8")))
    col = rows[0].index("booked_at")
    for r in rows[1:]:
        r[col] = re.sub(r"T(\d\d):\d\d:\d\d", r"T\1:00:00", r[col])
    csv.writer(open(path, "w", newline="", encoding="utf-8"), lineterminator="\n").writerows(rows)



def blank_fields(path):
    """Empties some fields, in place: the purpose (text: the empty string natively) of every 7th
    record and the counterparty country (optional: null natively) of every 17th, so that a
    loader's and a query's handling of empty fields meets the native reader's."""
    rows = list(csv.reader(open(path, newline="", encoding="utf-8")))
    purpose, country = rows[0].index("purpose"), rows[0].index("counterparty_country")
    for i, r in enumerate(rows[1:], 1):
        if i % 7 == 0:
            r[purpose] = ""
        if i % 17 == 0:
            r[country] = ""
    csv.writer(open(path, "w", newline="", encoding="utf-8"), lineterminator="\n").writerows(rows)


def lvtr_filing(decree, lib, batch, rates, institution, dst):
    """A PBoC large-value CSV filing (decree report --format pboc-lvtr-csv) of `batch`'s
    findings under the LVTR library `lib`, with mistakes filing-checks finds: a counted amount,
    a txn_date, a record id and an institution code changed, an unknown currency, a repeated
    record."""
    findings = dst + ".findings.jsonl"
    subprocess.run([decree, "run", lib, "-i", batch, "-t", f"usd_rate={rates}", "-o", findings, "-q"], check=True)
    subprocess.run([decree, "report", lib, "-f", findings, "-i", batch, "-t", f"usd_rate={rates}", "--format", "pboc-lvtr-csv",
                    "--institution", institution, "-o", dst], check=True, capture_output=True)
    rows = list(csv.reader(open(dst, newline="", encoding="utf-8")))
    col = {c: rows[0].index(c) for c in ("counted_amount", "txn_date", "record_id", "currency", "institution_code")}
    rows[3][col["counted_amount"]] = "1.00"
    rows[7][col["txn_date"]] = "2026-01-01"
    rows[9][col["record_id"]] = "not-a-record-id"
    rows[11][col["institution_code"]] = "C12345"
    rows[13][col["currency"]] = "XXQ"
    rows.append(rows[20])
    csv.writer(open(dst, "w", newline="", encoding="utf-8"), lineterminator="\n").writerows(rows)


def ddl_columns(ddl, table):
    """The column names of `table`'s CREATE TABLE in a `decree sql --ddl` text."""
    block = re.search(r"CREATE TABLE [`\"]" + re.escape(table) + r"[`\"] \((.*?)\n\)", ddl, re.S).group(1)
    return re.findall(r'^  [`"](.+?)[`"] ', block, re.M)


def xml_records_csv(xml_path, record, columns, dst):
    """The records of a `from xml` layout in an XML filing, as CSV with the layout's columns:
    each element whose path ends in `record` is a record; a column (`name`, `a/b`, `../x`) is
    looked up on the record, then on each ancestor: an attribute, else a child element's text
    (names by their local part; the first match).  Absent: an empty field."""
    import xml.etree.ElementTree as ET
    local = lambda tag: tag.rsplit("}", 1)[-1]
    root = ET.parse(xml_path).getroot()
    parent = {c: p for p in root.iter() for c in p}

    def chain(e):
        while e is not None:
            yield e
            e = parent.get(e)

    def step(e, name):
        if name == "..":
            return parent.get(e)
        return next((c for c in e if local(c.tag) == name), None)

    def lookup(e, path):
        parts = path.split("/")
        for start in chain(e):
            at = start
            for i, part in enumerate(parts):
                if i == len(parts) - 1 and part != ".." and at is not None:
                    attr = next((v for k, v in at.attrib.items() if local(k) == part), None)
                    if attr is not None:
                        return attr
                at = step(at, part) if at is not None else None
            if at is not None and at is not start:
                return (at.text or "").strip()
        return ""

    want = record.split("/")
    rows = [columns]
    for e in root.iter():
        names = [local(x.tag) for x in chain(e)][: len(want)][::-1]
        if names == want:
            rows.append([lookup(e, c) for c in columns])
    csv.writer(open(dst, "w", newline="", encoding="utf-8"), lineterminator="\n").writerows(rows)
    return len(rows) - 1


XML_LAYOUTS = {"CtrDetail": "Activity/CurrencyTransactionActivity/CurrencyTransactionActivityDetail",
               "GoamlTransaction": "report/transaction"}


def xml_filing_csvs(decree, work, libs, batch, rates, institution, filing_lib):
    """CSV copies of two XML filings of `batch` (decree report: FinCEN CTR from `libs["ctr"]`'s
    findings, goAML from `libs["lvtr"]`'s), as records of filing-checks' CtrDetail and
    GoamlTransaction layouts, with mistakes those rules find.  Returns {layout: csv path}."""
    out = {}
    for layout, lib, fmt in (("CtrDetail", libs["ctr"], "fincen-ctr-xml"), ("GoamlTransaction", libs["lvtr"], "goaml-xml")):
        findings, xml, dst = (os.path.join(work, f"{layout}{ext}") for ext in (".jsonl", ".xml", ".csv"))
        subprocess.run([decree, "run", lib, "-i", batch, "-t", f"usd_rate={rates}", "-o", findings, "-q"], check=True)
        subprocess.run([decree, "report", lib, "-f", findings, "-i", batch, "-t", f"usd_rate={rates}", "--format", fmt,
                        "--institution", institution, "-o", xml], check=True, capture_output=True)
        ddl = subprocess.run([decree, "sql", filing_lib, "--dialect", "clickhouse", "--ddl", "--layout", layout], check=True,
                             capture_output=True, text=True).stdout
        xml_records_csv(xml, XML_LAYOUTS[layout], ddl_columns(ddl, layout + "_local"), dst)
        rows = list(csv.reader(open(dst, newline="", encoding="utf-8")))
        c = {k: i for i, k in enumerate(rows[0])}
        edits = ([(2, "DetailTransactionAmountText", "9000"), (4, "CurrencyTransactionActivityDetailTypeCode", "57"),
                  (6, "TransactionDateText", "2026-03-24"), (8, "FilingDateText", "20260101")] if layout == "CtrDetail" else
                 [(3, "date_transaction", "2026-03-24 19:52:01"), (5, "submission_date", "20260331")])
        for r, col, v in edits:
            rows[r][c[col]] = v
        rows.append(list(rows[10]))  # a record twice
        csv.writer(open(dst, "w", newline="", encoding="utf-8"), lineterminator="\n").writerows(rows)
        out[layout] = dst
    return out


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] != "apply-ddl":
        sys.exit(__doc__.split("\n\n", 1)[1])
    try:
        apply_ddl(sys.argv[3:], open(sys.argv[2], encoding="utf-8").read())
    except ClickHouseError as e:
        sys.exit(f"clickhouse_client: ClickHouse refused {e}")
