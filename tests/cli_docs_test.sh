#!/usr/bin/env bash
# The generated shell completion and man pages (cli/completion.cpp) answer for the verbs and
# options the parser accepts.
#   tests/cli_docs_test.sh DECREE CLI_DOCS_DIR
set -euo pipefail
decree=$1 docs=$2
fail() { echo "cli_docs_test: $*"; exit 1; }
# shellcheck disable=SC1090
source <("$decree" completion bash)
complete_line() {  # the completions bash offers for the words given, the last being completed
  COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _decree; echo "${COMPREPLY[*]}"
}
[[ " $(complete_line decree ru) " == *" run "* ]] || fail "'decree ru<TAB>' does not offer run"
[[ " $(complete_line decree run --thr) " == *" --threads "* ]] || fail "'decree run --thr<TAB>' does not offer --threads"
[[ " $(complete_line decree validate --form) " == *" --format "* ]] || fail "'decree validate --form<TAB>' does not offer --format"
[[ " $(complete_line decree help scr) " == *" screen "* ]] || fail "'decree help scr<TAB>' does not offer screen"
# Every verb in --help has a man page naming each of its options.
verbs=$("$decree" --help | sed -n '/^Verbs:/,/^$/p' | awk 'NF > 1 { print $1 }')
[ -n "$verbs" ] || fail "no verbs in decree --help"
for v in $verbs; do
  page="$docs/man/decree-$v.1"
  [ -s "$page" ] || fail "no man page for $v"
  for opt in $("$decree" help "$v" | grep -oE '^  (-., )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
    grep -q -- "\\\\-\\\\-${opt#--}" "$page" || fail "man page of $v lacks $opt"
  done
done
echo "cli_docs_test: completion and $(echo "$verbs" | wc -w) man pages agree with the verb tables"
