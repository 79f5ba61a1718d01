#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing (tools/setup.sh), lints
# the protos with buf, runs every Bazel test, then runs them all again under
# AddressSanitizer + UndefinedBehaviorSanitizer (--config=asan), then the
# unit tests of the concurrent classes under ThreadSanitizer (--config=tsan),
# then runs every libFuzzer target for a bounded time (tools/fuzz.sh). Ends
# with one
# line "N passed, N failed" counting individual test cases of all of these.
#
#   tools/test.sh [extra bazel test flags]
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

echo "== buf lint"
if buf lint; then
  passed=$((passed + 1))
else
  echo "buf lint FAILED"
  failed=$((failed + 1))
fi

echo "== clang-format (server/, client/, tests/, tools/)"
if find server client tests tools \( -name '*.cc' -o -name '*.h' \) -print0 |
    xargs -0 clang-format --dry-run -Werror; then
  passed=$((passed + 1))
else
  echo "clang-format FAILED: run clang-format -i on the files above"
  failed=$((failed + 1))
fi

# Counts of test cases from a gtest XML report: "<tests> <failures>".
cases() {
  local head
  head=$(grep -o -m1 '<testsuites[^>]*>' "$1")
  echo "$(grep -o ' tests="[0-9]*"' <<<"$head" | grep -o '[0-9]*') \
$(grep -o ' failures="[0-9]*"' <<<"$head" | grep -o '[0-9]*')"
}

# The concurrent classes whose unit tests also run under ThreadSanitizer:
# rate gate and shared quota, retrying client, per-user lines, retry
# budget, HTTP transport and timers,
# executor, abort signal, log writer, and the reactors over a fake transport.
TSAN_TARGETS=(
  //tests/ratelimit:rate_gate_test
  //tests/ratelimit:redis_quota_test
  //tests/clerk:retrying_clerk_client_test
  //tests/clerk:retrying_clerk_client_lifecycle_test
  //tests/clerk:user_lanes_test
  //tests/clerk:user_order_test
  //tests/clerk:user_lease_test
  //tests/clerk:cross_replica_order_test
  //tests/clerk:redis_user_order_test
  //tests/retry:retry_budget_test
  //tests/http:curl_http_client_test
  //tests/time:timer_queue_test
  //tests/http:abort_signal_test
  //tests/exec:serial_executor_test
  //tests/log:async_line_writer_test
  //tests/service:user_image_service_test
  //tests/service:upload_lifecycle_test
  //tests/normalize:normalizer_pool_test
  //tests/app:main_loop_test
  //tests/metrics:metrics_endpoint_test
  //tests/service:server_reflection_test
)

# Runs `bazel test "${TARGETS[@]}" "$@"` (default //...) and adds its test
# cases to the totals.
TARGETS=(//...)
run_suite() {
  local log bazel_rc testlogs target status xml n f ok before=$failed
  log=$(mktemp)
  bazel test "${TARGETS[@]}" --test_summary=short --test_output=errors "$@" 2>&1 | tee "$log"
  bazel_rc=${PIPESTATUS[0]}
  local info_args=() arg
  for arg in "$@"; do [[ $arg == --config=* ]] && info_args+=("$arg"); done
  testlogs=$(bazel info "${info_args[@]}" bazel-testlogs 2>/dev/null)
  # One line per test target: "//pkg:target  (cached) PASSED in 0.1s".
  while read -r target status; do
    xml="$testlogs/${target#//}"
    xml="${xml/://}/test.xml"
    if [[ ($status == PASSED || $status == FAILED) && -f $xml ]]; then
      read -r n f < <(cases "$xml")
      n=${n:-1}
      f=${f:-0}
      if [[ $status == FAILED && $f -eq 0 ]]; then f=1; fi  # crashed or exited non-zero
      ok=$((n - f))
      passed=$((passed + (ok > 0 ? ok : 0)))
      failed=$((failed + f))
    elif [[ $status == PASSED ]]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))  # failed to build, timed out, no status, flaky
    fi
  done < <(sed -n -E 's#^(//[^ ]+)[[:space:]]+(\(cached\)[[:space:]]+)?(PASSED|FAILED TO BUILD|FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY).*#\1 \3#p' "$log" |
    sed 's/ FAILED TO BUILD$/ BUILD_FAILED/; s/ NO STATUS$/ NO_STATUS/')
  rm -f "$log"
  if [[ $bazel_rc -ne 0 && $failed -eq $before ]]; then
    echo "bazel test $* exited with $bazel_rc"
    failed=$((failed + 1))
  fi
}

echo "== bazel test //..."
run_suite "$@"
echo "== bazel test --config=asan //... (AddressSanitizer + UndefinedBehaviorSanitizer)"
run_suite --config=asan "$@"
echo "== bazel test --config=tsan (ThreadSanitizer: the concurrent classes)"
TARGETS=("${TSAN_TARGETS[@]}")
run_suite --config=tsan \
  "--test_env=TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/tsan.supp" \
  "$@"
TARGETS=(//...)

echo "== fuzzing (tools/fuzz.sh, ${FUZZ_SECONDS:-30} s per target)"
fuzz_log=$(mktemp)
bash tools/fuzz.sh "${FUZZ_SECONDS:-30}" > "$fuzz_log" 2>&1
cat "$fuzz_log"
fuzz_summary=$(tail -1 "$fuzz_log")
rm -f "$fuzz_log"
if [[ $fuzz_summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  passed=$((passed + BASH_REMATCH[1]))
  failed=$((failed + BASH_REMATCH[2]))
else
  failed=$((failed + 1))
fi

echo "${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
