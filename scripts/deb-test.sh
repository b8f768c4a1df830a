#!/usr/bin/env bash
# Builds the .deb (CPack) from ./build, installs it with apt on this machine (its Depends
# resolved from Debian 12), runs the README's example with the installed decree and the
# installed rulesets, then removes the package.  Needs root or sudo (CI has them).
#   scripts/deb-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
(cd build && cpack -G DEB > cpack.log) || { cat build/cpack.log; exit 1; }
deb=$(ls build/decree_*_amd64.deb)
echo "deb-test: $deb ($(du -h "$deb" | cut -f1))"
if dpkg-query -W -f='${Status}' decree 2>/dev/null | grep -q 'ok installed'; then echo "deb-test: a decree package is already installed; not touching it"; exit 1; fi
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" > build/deb-install.log || { cat build/deb-install.log; exit 1; }
trap '$sudo env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q decree > /dev/null' EXIT
work=$(mktemp -d)
ex=/usr/share/doc/decree/examples
/usr/bin/decree run /usr/share/decree/rulesets/cn-pboc-lvtr --input $ex/transactions.csv --table usd_rate=$ex/rates.csv \
  --out "$work/findings.jsonl"
./build/decree run rulesets/cn-pboc-lvtr --input examples/transactions.csv --table usd_rate=examples/rates.csv --out "$work/want.jsonl" -q
cmp "$work/findings.jsonl" "$work/want.jsonl" || { echo "deb-test: the installed decree's findings differ from the build's"; exit 1; }
pkg-config --exists decree || { echo "deb-test: decree.pc is not on pkg-config's path"; exit 1; }
echo "deb-test: installed; the README example gave $(wc -l < "$work/findings.jsonl") findings, identical to the build's; removing"
rm -rf "$work"
