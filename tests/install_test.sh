#!/usr/bin/env bash
# Installs the build into a fresh prefix and builds programs outside the project against it:
# a C++ program with find_package(Decree) (shared and static), the C example with pkg-config
# (shared and --static); each must print the findings the installed `decree run` writes.
#   tests/install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
for h in "$prefix"/include/decree/*.h; do  # each installed header compiles on its own
  echo "#include <decree/$(basename "$h")>" | c++ -std=c++20 -fsyntax-only -I"$prefix/include" -x c++ - \
    || { echo "install_test: $h is not self-contained"; exit 1; }
done
echo '#include <decree/decree.h>' | cc -std=c99 -pedantic -Werror -fsyntax-only -I"$prefix/include" -x c - \
  || { echo "install_test: decree.h is not C99"; exit 1; }
cmake -S "$src/tests/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log" \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" -j2 > "$work/build.log" || { cat "$work/build.log"; exit 1; }
pc=$(dirname "$(find "$prefix" -name decree.pc)")
export PKG_CONFIG_PATH=$pc
# shellcheck disable=SC2046
cc -std=c99 "$src/examples/embed/findings.c" -o "$work/c_shared" $(pkg-config --cflags --libs decree) -Wl,-rpath,"$(pkg-config --variable=libdir decree)"
# shellcheck disable=SC2046
cc -std=c99 "$src/examples/embed/findings.c" -o "$work/c_static" $(pkg-config --cflags decree) \
  "$(pkg-config --variable=libdir decree)/libdecree.a" $(pkg-config --libs-only-l --static decree | sed 's/-ldecree//') -lstdc++ -lm
cd "$work"
"$prefix/bin/decree" build "$prefix/share/decree/rulesets/cn-pboc-lvtr" -o lvtr.dlib > /dev/null
ex=$prefix/share/doc/decree/examples
"$prefix/bin/decree" run lvtr.dlib -i "$ex/transactions.csv" -t usd_rate="$ex/rates.csv" -o want.jsonl -q
[ -s want.jsonl ] || { echo "install_test: the installed decree found nothing"; exit 1; }
for prog in consumer/consumer_shared consumer/consumer_static c_shared c_static; do
  "./$prog" lvtr.dlib "$ex/transactions.csv" usd_rate="$ex/rates.csv" > got.jsonl 2> err.txt || { echo "install_test: $prog failed: $(cat err.txt)"; exit 1; }
  cmp -s want.jsonl got.jsonl || { echo "install_test: $prog differs from decree run"; exit 1; }
done
ldd consumer/consumer_static c_static | grep libdecree >/dev/null && { echo "install_test: a static consumer loads libdecree.so"; exit 1; }
echo "install_test: $(wc -l < want.jsonl) findings, identical from the installed decree, find_package (shared, static) and pkg-config (shared, static)"
