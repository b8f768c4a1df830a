#!/usr/bin/env bash
# Sets up Decree on a fresh Debian 12 machine: installs the system packages the build needs,
# then configures and builds into ./build.  Safe to run again (it skips what is done).
#
#   scripts/setup.sh            install + build (Release with debug info)
#   DECREE_BUILD_DIR=out scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential g++ cmake ninja-build pkg-config git
  antlr4 libantlr4-runtime-dev      # the parser generator (tool 4.7.2) and its C++ runtime (4.9)
  libz3-dev                          # the analysis pass
  libicu-dev                         # time zones, normalisation, transliteration
  libsqlite3-dev sqlite3             # rule libraries, case stores, the differential tests
  libfmt-dev libgtest-dev
  libssl-dev                         # OpenSSL libcrypto: SHA-256 content hashes
  libsimdjson-dev                    # JSON and JSON Lines inputs
  libxml2-dev                        # XML inputs and filings, XSD validation
  libcpp-httplib-dev                 # the HTTP client that reaches ClickHouse (runtime/sql)
  libboost1.81-dev                   # decree serve: Boost.Beast's HTTP/1.1 server on Boost.Asio (header-only)
  libjemalloc-dev                    # the decree executable's allocator (the engine allocates per decision)
  libgraphviz-dev                    # decree graph: fund-flow pictures through libgvc (SVG, PNG)
  wrk                                # bench B5: the HTTP load generator
  clickhouse-server clickhouse-client curl  # the local two-shard cluster (scripts/clickhouse-cluster.sh)
  unicode-data bzip2                 # Unihan (Chinese Commercial Codes in OFAC remarks), bz2-packed
  clang libclang-rt-14-dev           # libFuzzer and the sanitizer builds
  time                               # /usr/bin/time for peak-memory measurements
  libxml2-utils                      # xmllint: the report tests validate XML against the XSDs
  librsvg2-bin fonts-dejavu-core     # rsvg-convert: the report tests render the summary chart
  fonts-wqy-zenhei                   # decree graph: Chinese names in PNG pictures
)
# Node.js and npm run DuckDB: the benchmark peer, and the DuckDB dialect's test
# (tests/duckdb_rules_test.py).  Images often ship their own
# Node (which Debian's npm package conflicts with): install Debian's only when none is there.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# DuckDB through its Node API (bench/package-lock.json), once.
if [[ ! -d bench/node_modules/@duckdb/node-api ]]; then
  echo "setup: installing DuckDB's Node API into bench/node_modules (npm ci)"
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi

build_dir="${DECREE_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j2
echo "setup: built $build_dir/decree"
