#!/usr/bin/env bash
# The cluster stage of scripts/test.sh: a real one-node Kubernetes v1.34.4 (README.md here), the
# todo-chatbot chart installed the Minikube way (charts/Makefile), and the seeds' acceptance scenarios
# (issue 11) as named checks, each printing its figures. Tears the node down on every exit path.
#
#   bash tests/cluster/run.sh [SCENARIO...]    default: all, in the order below
#
# Environment: CLUSTER_STABLE_MINUTES (scenario 9's length, default 10), CLUSTER_KEEP=1 (leave the
# node up after the run, for debugging; tests/cluster/node-down.sh removes it), CLUSTER_REUSE=1 (with
# a node left up by CLUSTER_KEEP=1: run the scenarios on it, no rebuild, no new node), CLUSTER_OUT.
# Prints "cluster: N passed, M failed" last; exits non-zero when a check failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
mkdir -p "$out"
export CLUSTER_RESULTS=$out/results
: >"$CLUSTER_RESULTS"
all=(01-install 04-two-replicas 03-pod-deleted 07-native-sidecar 06-rolling-update 02-bad-secret 05-db-outage 10-browser 11-components 08-neon 09-stable)
(($#)) && all=("$@")

finish() {
  local rc=$?
  if [[ ${CLUSTER_KEEP:-0} == 1 ]]; then echo "cluster: node left up (CLUSTER_KEEP=1); remove it with tests/cluster/node-down.sh"
  else "$here/node-down.sh"; fi
  local p f
  p=$(grep -c '^ok ' "$CLUSTER_RESULTS" || true); f=$(grep -c '^fail ' "$CLUSTER_RESULTS" || true)
  echo "cluster: $p passed, $f failed ($((SECONDS / 60)) min $((SECONDS % 60)) s)"
  [[ $f -eq 0 && $p -gt 0 ]] || exit 1
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

stage() { # stage NAME COMMAND...: a setup step; its failure ends the run (the scenarios need it)
  local name=$1 t0=$SECONDS
  shift
  echo "=== cluster: $name"
  if "$@"; then echo "=== cluster: $name done in $((SECONDS - t0)) s"
  else fail "setup $name" "failed after $((SECONDS - t0)) s"; diagnose; exit 1; fi
}

setup_cluster() {
  kubectl apply -f "$here/manifests/coredns.yaml" -f "$here/manifests/pv.yaml" >/dev/null || return 1
  docker exec "$NODE_CONTAINER" sh -c 'mkdir -p /var/lib/pv/pg0 && chown 65532:65532 /var/lib/pv/pg0 && chmod 700 /var/lib/pv/pg0' || return 1
  kubectl -n kube-system rollout status deploy/coredns --timeout=120s || return 1
  make_chart namespace || return 1
  k apply -f "$here/manifests/toolbox.yaml" >/dev/null || return 1
  k wait --for=condition=Ready pod/toolbox --timeout=120s >/dev/null || return 1
  # The secrets as the Minikube path makes them (make secrets), plus a well-formed AI key (the
  # stand-in backend never calls a provider).
  rm -rf "$SECRETS"
  make_chart secrets >/dev/null || return 1
  printf 'sk-proj-%s' "$(openssl rand -hex 40)" >"$SECRETS/openai-api-key"
}

command -v helm >/dev/null || { fail "setup" "helm is missing (scripts/install-deps.sh --test-tools installs it)"; exit 1; }
if [[ ${CLUSTER_REUSE:-0} == 1 ]] && kubectl get --raw /readyz >/dev/null 2>&1; then
  echo "=== cluster: reusing the running node (CLUSTER_REUSE=1)"
else
  if [[ ${CLUSTER_SKIP_BUILD:-0} != 1 ]]; then  # CLUSTER_SKIP_BUILD=1: use what is built (development)
    stage "build binaries (Go: k8s v1.34.4 multi-call, CoreDNS v1.12.4)" "$here/build-bins.sh"
    stage "build images" "$here/images.sh"
  fi
  "$here/node-down.sh"
  stage "node up" "$here/node-up.sh"
  stage "cluster add-ons, namespace, toolbox, secrets" setup_cluster
fi

for s in "${all[@]}"; do
  script=$(ls "$here"/scenarios/"$s"*.sh 2>/dev/null | head -1)
  [[ -n $script ]] || { fail "$s" "no such scenario"; continue; }
  echo "=== cluster scenario $(basename "$script" .sh)"
  t0=$SECONDS
  before=$(grep -c '^fail ' "$CLUSTER_RESULTS" || true)
  timeout "${CLUSTER_SCENARIO_TIMEOUT:-1500}" bash "$script"
  rc=$?
  after=$(grep -c '^fail ' "$CLUSTER_RESULTS" || true)
  if ((rc != 0 && after == before)); then fail "$(basename "$script" .sh)" "exited $rc (124: the scenario's own time limit)"; fi
  if ((rc != 0 || after > before)); then diagnose; fi
  echo "=== cluster scenario $(basename "$script" .sh): $((SECONDS - t0)) s"
done
