#!/usr/bin/env bash
# Builds every libFuzzer target (//fuzz/..., clang with ASan + UBSan) and
# runs each for a bounded time on a scratch copy of its seed corpus. Prints
# one line per target and "N passed, N failed"; exits non-zero if any target
# found a crash (its reproducer is kept and named in the output: add it to
# the corpus as a regression input once fixed).
#
#   tools/fuzz.sh [seconds per target, default 30]
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}

bazel build --config=fuzz //fuzz/... || { echo "0 passed, 1 failed"; exit 1; }
bin=$(bazel info --config=fuzz bazel-bin)
work=$(mktemp -d /tmp/fuzz.XXXXXX)
passed=0
failed=0
# Each fuzz target is the cc_binary next to a corpus/ directory.
while read -r corpus; do
  dir=${corpus%/corpus}
  for target in "$bin/$dir"/*_fuzzer; do
    [[ -x $target ]] || continue
    name=$(basename "$target")
    mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
    cp -r "$corpus"/. "$work/$name/corpus/"
    # -print_funcs=0: no llvm-symbolizer for each new function (the normalize
    # target runs under its worker's seccomp filter, which its child
    # process inherits).
    if "$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_funcs=0 \
        -artifact_prefix="$work/$name/artifacts/" "$work/$name/corpus" \
        > "$work/$name/log" 2>&1; then
      echo "fuzz $name: OK ($(grep -o 'Done [0-9]* runs' "$work/$name/log"))"
      passed=$((passed + 1))
    else
      echo "fuzz $name: FAILED; log $work/$name/log, reproducer in $work/$name/artifacts/"
      tail -30 "$work/$name/log"
      failed=$((failed + 1))
    fi
  done
done < <(find fuzz -type d -name corpus | sort)
echo "${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
