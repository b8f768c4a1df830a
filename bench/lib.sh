# Shell helpers the benchmark scripts share (sourced by bench/run.sh, bench/b3.sh, bench/b4.sh).

# range <file> <column>: "min / median / max" of a column of numbers (the upper median for an
# even count).
range() { sort -g -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { printf "%s / %s / %s", v[1], v[int((NR + 1) / 2)], v[NR] }'; }

# median <file> <column>: the (upper) median of a column of numbers.
median() { sort -g -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'; }

# write_section <benchmark> <report>: puts the report between the benchmark's markers in
# docs/benchmarks.md (added at the end when missing), replacing what was there.
write_section() {
  local bench=$1 report=$2 doc=docs/benchmarks.md
  [[ -f "$doc" ]] || printf '# Benchmarks\n\nWritten by `bench/run.sh`; see ../shared/design/benchmarks.md for what each measures.\n' >"$doc"
  grep -q "<!-- $bench:begin -->" "$doc" || printf '\n<!-- %s:begin -->\n<!-- %s:end -->\n' "$bench" "$bench" >>"$doc"
  awk -v report="$report" -v begin="<!-- $bench:begin -->" -v end="<!-- $bench:end -->" '
    $0 == begin { print; while ((getline line < report) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "bench: wrote the $bench section of $doc" >&2
}
