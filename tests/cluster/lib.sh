# Sourced by tests/cluster/run.sh and scenarios/*.sh: the cluster's tools, one check report format and
# the bounded waits. Every wait has a deadline and, on failure, prints what it waited for.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${CLUSTER_OUT:-$here/.out}
. "$here/node.env"
export KUBECONFIG=$out/kubeconfig
export PATH="$out/bin:$PATH:$(go env GOPATH 2>/dev/null || echo /root/go)/bin"
NS=${CLUSTER_NS:-todo}
TOOLBOX_NS=$NS  # the client pod's namespace (a scenario may change NS)
RELEASE=todo-chatbot
CHART=$root/charts/todo-chatbot
SECRETS=$out/secrets
BACKEND=todo-chatbot-backend    # the backend's Deployment and PodDisruptionBudget
# The backend's Service: the seeds' name, set in values-cluster.yaml (global.backendService.name); the
# frontend's BACKEND_URL follows it.
BACKEND_SERVICE=backend-service
SVC_URL=http://$BACKEND_SERVICE:8000
ADMIN_URL=http://$BACKEND_SERVICE:9901
RESULTS=${CLUSTER_RESULTS:-$out/results}
k() { kubectl -n "$NS" "$@"; }

# ok NAME FIGURES / fail NAME WHY: one line each, counted by run.sh from $RESULTS.
ok() { echo "ok   - cluster $1: $2"; echo "ok $1" >>"$RESULTS"; }
fail() { echo "FAIL - cluster $1: $2"; echo "fail $1" >>"$RESULTS"; }
note() { echo "  [$(date +%T)] $*" >&2; }
now_ms() { date +%s%3N; }
secs_since() { awk -v a="$(now_ms)" -v b="$1" 'BEGIN { printf "%.1f", (a - b) / 1000 }'; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls every second; returns 1 after the deadline.
wait_for() {
  local limit=$1 what=$2 t0=$SECONDS
  shift 2
  while ((SECONDS - t0 < limit)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  note "timed out after ${limit}s waiting for: $what"
  return 1
}

# client ARGS...: client.py inside the cluster (toolbox pod), bounded by `timeout`.
client() {
  local limit=${CLIENT_TIMEOUT:-900}
  timeout "$limit" kubectl -n "$TOOLBOX_NS" exec -i toolbox -- python3 - "$@" <"$here/client.py"
}
# stop_loops: ends every `client loop` running in the toolbox early (SIGINT: each reports and exits).
stop_loops() { kubectl -n "$TOOLBOX_NS" exec toolbox -- python3 -c 'import os, signal
for p in os.listdir("/proc"):
    if p.isdigit() and int(p) not in (1, os.getpid()):
        try:
            if b"loop" in open(f"/proc/{p}/cmdline", "rb").read(): os.kill(int(p), signal.SIGINT)
        except OSError: pass' >/dev/null 2>&1; }
# json FILE EXPR: a field of client.py's output (python3 -c, no jq here).
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }

backend_pods() { k get pods -l app.kubernetes.io/component=backend,app.kubernetes.io/instance=$RELEASE \
  --field-selector=status.phase!=Succeeded -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }
# Ready backend addresses in the Service's EndpointSlices.
ready_endpoints() { k get endpointslices -l kubernetes.io/service-name=$BACKEND_SERVICE \
  -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}' | sort -u; }
n_ready_endpoints() { ready_endpoints | grep -c . || true; }
# Restarts of every container (init containers included) of the backend pods.
backend_restarts() { k get pods -l app.kubernetes.io/component=backend -o jsonpath='{range .items[*]}{range .status.initContainerStatuses[*]}{.restartCount}{"\n"}{end}{range .status.containerStatuses[*]}{.restartCount}{"\n"}{end}{end}' |
  awk '{ s += $1 } END { print s + 0 }'; }
all_ready() { # all_ready SELECTOR N: exactly N pods match, all Ready, none terminating
  local sel=$1 n=$2 got
  got=$(k get pods -l "$sel" -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{"|"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
  [[ $(grep -c . <<<"$got") -eq $n ]] && ! grep -qv '^|True$' <<<"$got"
}
# Backend pods that are Ready and not terminating.
n_live_ready_backends() { k get pods -l app.kubernetes.io/component=backend -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{"|"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^|True$' || true; }
# backends_readyz CODE: every live backend pod's /readyz answers CODE (200: its healthproxy reached
# the database; 503: it has noticed the database is lost).
backends_readyz() {
  local ip urls=()
  for ip in $(k get pods -l app.kubernetes.io/component=backend -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{"|"}{.status.podIP}{"\n"}{end}' | awk -F'|' '$1 == "" && $2 != "" { print $2 }'); do
    urls+=("http://$ip:9901/readyz")
  done
  ((${#urls[@]} > 0)) && client get "${urls[@]}" | python3 -c 'import json,sys; sys.exit(0 if all(r["outcome"] == sys.argv[1] for r in json.load(sys.stdin)) else 1)' "$1"
}
backends_db_ready() { backends_readyz 200; }
# db_cut -I|-D: cuts (-I) or restores (-D) PostgreSQL's traffic, iptables DROP both ways in the node's
# FORWARD chain: the pods stay up and the packets vanish, as in a network partition.
db_cut() {
  local pg
  pg=$(k get pod "$RELEASE-postgresql-0" -o jsonpath='{.status.podIP}') && [[ -n $pg ]] || return 1
  docker exec "$NODE_CONTAINER" iptables "$1" FORWARD -d "$pg" -p tcp --dport 5432 -j DROP &&
    docker exec "$NODE_CONTAINER" iptables "$1" FORWARD -s "$pg" -p tcp --sport 5432 -j DROP
}

# diagnose: what a failed check needs to be understood. Never prints Secrets.
diagnose() {
  echo "--- diagnostics ($NS)"
  k get pods -o wide 2>&1 | head -30
  k get endpointslices 2>&1 | head -10
  k get events --sort-by=.lastTimestamp 2>&1 | tail -25
  local p
  for p in $(backend_pods | head -3); do
    echo "--- $p (healthproxy, backend logs, last 15 lines each)"
    k logs "$p" -c healthproxy --tail=15 2>&1
    k logs "$p" -c backend --tail=15 2>&1
  done
  echo "--- node: kubelet log tail"
  tail -15 "$out/state/logs/kubelet.log" 2>/dev/null
}

# release_install EXTRA_HELM_ARGS...: the Minikube path's commands (charts/Makefile), with the cluster's
# tools and this overlay.
make_chart() {
  make -s -C "$root/charts" "$@" NAMESPACE="$NS" RELEASE="$RELEASE" SECRETS_DIR="$SECRETS" \
    VALUES="$CHART/values-dev.yaml" EXTRA_VALUES="$here/values-cluster.yaml" TIMEOUT=180s
}
