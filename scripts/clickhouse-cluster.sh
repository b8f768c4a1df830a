#!/usr/bin/env bash
# A local ClickHouse cluster named `decree`: two shards, each a clickhouse-server process from
# Debian's package, bound to 127.0.0.1 on free ports, with data, logs and pid files under
# $DECREE_CLICKHOUSE_DIR (default build/clickhouse).  For tests and for trying Decree's
# scale-out target (docs/scale-out.md); scripts/setup.sh installs the package.
#
#   scripts/clickhouse-cluster.sh start    start both servers (if not running), wait until both
#                                          answer, print clickhouse://127.0.0.1:PORT/default last
#   scripts/clickhouse-cluster.sh status   print the URL and exit 0 while both run, else exit 1
#   scripts/clickhouse-cluster.sh stop     stop both by their pid files and wait for them
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${DECREE_CLICKHOUSE_DIR:-build/clickhouse}
server=$(command -v clickhouse-server || true)
[[ -n $server ]] || { echo "clickhouse-cluster: clickhouse-server is not installed (scripts/setup.sh installs it)" >&2; exit 2; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running() {  # shard index -> 0 when its process is alive
  local pid
  pid=$(cat "$dir/shard$1/pid" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

http_port() { sed -n 's:.*<http_port>\([0-9]*\)</http_port>.*:\1:p' "$dir/shard$1/config.xml"; }

url() { echo "clickhouse://127.0.0.1:$(http_port 1)/default"; }

answers() {  # shard index -> 0 when its HTTP interface answers a query
  [[ "$(curl -s --max-time 2 "http://127.0.0.1:$(http_port "$1")/?query=SELECT%201" 2>/dev/null)" == 1 ]]
}

write_config() {  # shard index, its ports, both shards' TCP ports
  local s=$1 http=$2 tcp=$3 inter=$4 tcp1=$5 tcp2=$6 d
  d=$(cd "$dir/shard$s" && pwd)
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas" "$d/log"
  cat > "$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/log/server.log</log><errorlog>$d/log/server.err.log</errorlog></logger>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <interserver_http_port>$inter</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <!-- The HTTP port decree run reaches this shard at with its engine option (docs/scale-out.md). -->
  <macros><decree_http_port>$http</decree_http_port></macros>
  <remote_servers>
    <decree>
      <shard><replica><host>127.0.0.1</host><port>$tcp1</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$tcp2</port></replica></shard>
    </decree>
  </remote_servers>
</yandex>
EOF
  cat > "$d/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>12000000000</max_memory_usage><use_uncompressed_cache>0</use_uncompressed_cache></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
}

start() {
  mkdir -p "$dir/shard1" "$dir/shard2"
  if ! [[ -f "$dir/shard1/config.xml" && -f "$dir/shard2/config.xml" ]]; then
    local ports=() p
    for _ in 1 2 3 4 5 6; do
      p=$(free_port)
      ports+=("$p")
    done
    write_config 1 "${ports[0]}" "${ports[1]}" "${ports[2]}" "${ports[1]}" "${ports[4]}"
    write_config 2 "${ports[3]}" "${ports[4]}" "${ports[5]}" "${ports[1]}" "${ports[4]}"
  fi
  for s in 1 2; do
    if ! running "$s"; then
      local d
      d=$(cd "$dir/shard$s" && pwd)
      (cd "$d" && "$server" --config-file="$d/config.xml" --pid-file="$d/pid" --daemon) \
        || { echo "clickhouse-cluster: shard $s did not start (see $d/log)" >&2; exit 1; }
    fi
  done
  for _ in $(seq 300); do
    if answers 1 && answers 2; then
      url
      return 0
    fi
    sleep 0.1
  done
  echo "clickhouse-cluster: the servers did not answer within 30 s (see $dir/shard*/log)" >&2
  exit 1
}

stop() {
  for s in 1 2; do
    if running "$s"; then kill "$(cat "$dir/shard$s/pid")"; fi
  done
  for _ in $(seq 300); do
    if ! running 1 && ! running 2; then
      rm -f "$dir/shard1/pid" "$dir/shard2/pid"
      return 0
    fi
    sleep 0.1
  done
  echo "clickhouse-cluster: the servers did not stop within 30 s" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if running 1 && running 2 && answers 1 && answers 2; then url; else exit 1; fi ;;
  *) echo "usage: scripts/clickhouse-cluster.sh start|stop|status" >&2; exit 2 ;;
esac
