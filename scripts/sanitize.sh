#!/usr/bin/env bash
# Builds decree and its whole test suite with AddressSanitizer + UndefinedBehaviorSanitizer
# (gcc) into ./build-asan and runs the suite there.  Any sanitizer report fails the test that
# triggered it (UBSan does not recover; LeakSanitizer reports leaks at exit).
#
#   scripts/sanitize.sh              configure, build, run every test
#   scripts/sanitize.sh -R golden    extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
build="${DECREE_ASAN_BUILD_DIR:-build-asan}"
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" -j2
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Font and configuration caches of Graphviz, Pango and fontconfig live until exit (decree graph).
export LSAN_OPTIONS="suppressions=$(pwd)/scripts/lsan.supp:print_suppressions=0"
ctest --test-dir "$build" --output-on-failure -j2 --timeout 900 "$@"
