#!/usr/bin/env bash
# Every podguard test, from a fresh Debian bookworm machine: installs what it needs, then
#   1. the static release build (what the images ship): unit tests and integration tests against a
#      real PostgreSQL, real processes and an empty root;
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. each libFuzzer target for a bounded time (PODGUARD_FUZZ_SECONDS, default 60);
#   4. the cluster stage (tests/cluster/run.sh): a real one-node Kubernetes v1.34.4, the chart
#      installed the Minikube way, the seeds' acceptance scenarios as named checks. PODGUARD_CLUSTER=0
#      skips it (and says so); CLUSTER_STABLE_MINUTES sets scenario 9's length (default 10).
# Ends with one line "total: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test-tools
export PATH="$PATH:$(go env GOPATH)/bin"

passed=0
failed=0
# at: the time since this script started, for each stage's header (where CI's 90 minutes go).
at() { printf '%d min %02d s in' $((SECONDS / 60)) $((SECONDS % 60)); }
jobs=$(nproc)

# The cluster stage's slow builds (Go: Kubernetes and CoreDNS; the images, the C++ compile among
# them) start now, at the lowest CPU priority, and use what the tests below leave idle (the fuzz
# targets run one at a time). tests/cluster/run.sh then finds them built. Stopped on every exit.
cluster_prep_pid=
if [[ ${PODGUARD_CLUSTER:-1} == 1 ]]; then
  mkdir -p tests/cluster/.out
  # setsid: its own process group, so that the trap stops the go and docker builds under it too.
  setsid nice -n 19 bash -c 'tests/cluster/build-bins.sh && tests/cluster/images.sh' >tests/cluster/.out/prepare.log 2>&1 &
  cluster_prep_pid=$!
  trap '[[ -n $cluster_prep_pid ]] && kill -- "-$cluster_prep_pid" 2>/dev/null; true' EXIT
fi

# run_ctest PRESET: configure, build, test; adds the counts from CTest's summary line.
run_ctest() {
  local preset=$1 log
  log=$(mktemp)
  echo "=== $preset: configure and build ($(at))"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs" >"$log.build" 2>&1 || { cat "$log.build"; echo "build failed: $preset"; exit 1; }
  echo "=== $preset: test ($(at))"
  set +e
  ctest --preset "$preset" -j "$jobs" 2>&1 | tee "$log"
  set -e
  local total fails
  total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$log" | tail -1)
  fails=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  if [[ -z $total ]]; then echo "no CTest summary for $preset"; failed=$((failed + 1)); return; fi
  passed=$((passed + total - fails))
  failed=$((failed + fails))
}

run_ctest static
run_ctest asan

echo "=== fuzz: libFuzzer targets, ${PODGUARD_FUZZ_SECONDS:-60} s each ($(at))"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs" >/tmp/podguard-fuzz-build.log 2>&1 || { cat /tmp/podguard-fuzz-build.log; exit 1; }
for target in build/fuzz/tests/fuzz/*_fuzz; do
  name=$(basename "$target" _fuzz)
  corpus=$(mktemp -d)
  cp tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  if (cd "$corpus" && "$OLDPWD/$target" -max_total_time="${PODGUARD_FUZZ_SECONDS:-60}" -timeout=10 "$corpus" >"$corpus.log" 2>&1); then
    echo "ok   - fuzz $name: $(grep -o 'Done [0-9]* runs' "$corpus.log")"
    passed=$((passed + 1))
  else
    tail -40 "$corpus.log"
    echo "FAIL - fuzz $name (crash input saved in $corpus)"
    failed=$((failed + 1))
  fi
done

if [[ ${PODGUARD_CLUSTER:-1} == 1 ]]; then
  echo "=== cluster: a real Kubernetes node and the acceptance scenarios, tests/cluster/run.sh ($(at))"
  # The builds started at the top: wait for them (run.sh rebuilds whatever they did not finish).
  wait "$cluster_prep_pid" || { echo "cluster builds in the background failed; run.sh retries them:"; tail -20 tests/cluster/.out/prepare.log; }
  cluster_prep_pid=
  cluster_log=$(mktemp)
  set +e
  bash tests/cluster/run.sh 2>&1 | tee "$cluster_log"
  cluster_rc=${PIPESTATUS[0]}
  set -e
  cluster_passed=$(grep -c '^ok   - cluster ' "$cluster_log" || true)
  cluster_failed=$(grep -c '^FAIL - cluster ' "$cluster_log" || true)
  # A run that ended before reporting any check (or failed without saying why) still counts as failed.
  if ((cluster_rc != 0 && cluster_failed == 0)); then cluster_failed=1; echo "FAIL - cluster stage exited $cluster_rc"; fi
  passed=$((passed + cluster_passed))
  failed=$((failed + cluster_failed))
else
  echo "SKIP - cluster stage (PODGUARD_CLUSTER=0): not counted as passed"
fi

echo "=== done ($(at))"
echo "total: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
