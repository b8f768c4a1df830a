#!/usr/bin/env bash
# Every public header compiles on its own with nothing but the public include directory: the
# headers an embedder gets from `cmake --install` are self-contained.
#   tests/public_headers_test.sh CXX SOURCE_DIR
set -euo pipefail
cxx=$1 src=$2
n=0
for h in "$src"/runtime/include/decree/*.h; do
  echo "#include \"decree/$(basename "$h")\"" | "$cxx" -std=c++20 -fsyntax-only -Wall -Werror -I "$src/runtime/include" -x c++ - \
    || { echo "public_headers_test: decree/$(basename "$h") does not compile on its own"; exit 1; }
  n=$((n + 1))
done
echo "public_headers_test: $n public headers compile on their own"
