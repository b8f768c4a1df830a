#!/usr/bin/env bash
# scripts/clickhouse-cluster.sh against its contract: `start` launches two shards and prints the
# URL last; `status` prints it and exits 0 while they run; the cluster `decree` spans both (a
# Distributed table sharded by cityHash64(customer_id) spreads rows over both shards and reads
# them all back); `stop` stops both and `status` then exits 1.
# Then the DDL `decree sql --ddl` prints creates the canonical layout's tables on the cluster, and
# examples/transactions.csv loads through the Distributed table whole.
#   tests/clickhouse_cluster_test.sh SOURCE_DIR DECREE
set -euo pipefail
src=$1 decree=$2
export DECREE_CLICKHOUSE_DIR=$(mktemp -d)
script="$src/scripts/clickhouse-cluster.sh"
trap '"$script" stop >/dev/null 2>&1 || true; rm -rf "$DECREE_CLICKHOUSE_DIR"' EXIT
fail() { echo "clickhouse_cluster_test: FAIL: $*"; exit 1; }
url=$("$script" start | tail -1)
[[ $url =~ ^clickhouse://127\.0\.0\.1:([0-9]+)/default$ ]] || fail "start printed '$url'"
port=${BASH_REMATCH[1]}
[[ "$("$script" status)" == "$url" ]] || fail "status does not print the URL"
q() { curl -sS --fail-with-body "http://127.0.0.1:$1/" --data-binary "$2"; }
port2=$(sed -n 's:.*<http_port>\([0-9]*\)</http_port>.*:\1:p' "$DECREE_CLICKHOUSE_DIR/shard2/config.xml")
[[ "$(q "$port" "SELECT count() FROM system.clusters WHERE cluster = 'decree'")" == 2 ]] || fail "the cluster has not two shards"
for p in "$port" "$port2"; do
  q "$p" "CREATE TABLE txn_local (txn_id String, customer_id String, amount Decimal(18, 2)) ENGINE = MergeTree ORDER BY txn_id"
done
q "$port" "CREATE TABLE txn AS txn_local ENGINE = Distributed(decree, default, txn_local, cityHash64(customer_id))"
rows=""
for i in $(seq 1000); do rows+="T$i\tC$((i % 97))\t$i.25\n"; done
printf "$rows" | curl -sS --fail-with-body "http://127.0.0.1:$port/?query=INSERT%20INTO%20txn%20FORMAT%20TabSeparated&insert_distributed_sync=1" --data-binary @- \
  || fail "insert through the Distributed table"
total=$(q "$port" "SELECT count(), sum(amount) FROM txn")
[[ "$total" == $'1000\t500750.00' ]] || fail "the Distributed table reads back '$total'"
on1=$(q "$port" "SELECT count() FROM txn_local")
on2=$(q "$port2" "SELECT count() FROM txn_local")
(( on1 > 0 && on2 > 0 && on1 + on2 == 1000 )) || fail "rows per shard: $on1 + $on2"
# The tables decree sql --ddl prints: the local table on both shards, the rest once per shard
# too (declared tables), the Distributed table on the first.
"$decree" sql "$src/rulesets/cn-pboc-lvtr" --dialect clickhouse --ddl -o "$DECREE_CLICKHOUSE_DIR/ddl.sql"
python3 "$src/scripts/clickhouse_client.py" apply-ddl "$DECREE_CLICKHOUSE_DIR/ddl.sql" "$port" "$port2" || fail "the DDL did not apply"
curl -sS --fail-with-body "http://127.0.0.1:$port/?query=INSERT%20INTO%20Transaction%20FORMAT%20CSVWithNames&insert_distributed_sync=1" \
  --data-binary @"$src/examples/transactions.csv" || fail "examples/transactions.csv did not load"
want=$(($(wc -l < "$src/examples/transactions.csv") - 1))
got=$(q "$port" "SELECT count() FROM Transaction")
[[ "$got" == "$want" ]] || fail "the Distributed table holds $got of $want transactions"
echo "clickhouse_cluster_test: the decree sql --ddl tables created on the cluster; $got transactions loaded through them"
"$script" stop
if "$script" status >/dev/null; then fail "status exits 0 after stop"; fi
echo "clickhouse_cluster_test: two shards ($on1 + $on2 of 1000 rows through the Distributed table), start, status and stop as documented"
