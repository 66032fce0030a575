#!/usr/bin/env bash
# Scenario 5, database outage (the seeds' FR-033..035), and the measurement behind the chart's
# readinessGate default. PostgreSQL is cut (iptables DROP in the node's FORWARD chain: the pods stay
# up, packets vanish) for CUT seconds, then restored, once under each gate:
#   database  the kubelet's readiness is GET /readyz (the database): every replica leaves the Service
#   serving   (the default) GET /servingz: the pods stay in the Service and answer 503 themselves
# A client calls the Service every 200 ms on new connections and reports what it saw. Under the
# default it must see only 200s and 503s carrying Retry-After and FastAPI's {"detail": ...} body.
# Also, under each gate: the pods stay Running with 0 restarts, /readyz 503 and /livez 200 during the
# cut, healthproxy backs off; a backend pod can be evicted (what a node drain does) during the cut;
# after the restore every pod's /readyz is 200 within the backoff cap (30 s) + one probe period + one
# probe timeout, and the tasks written before the cut are intact.
. "$(dirname "$0")/../lib.sh"
name=05-db-outage
CUT=${CLUSTER_CUT_SECONDS:-25}
restore_on_exit() { db_cut -D 2>/dev/null; }
trap restore_on_exit EXIT
# The IPs of the backend pods that are not terminating.
pod_ips() { k get pods -l app.kubernetes.io/component=backend -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{"|"}{.status.podIP}{"\n"}{end}' | awk -F'|' '$1 == "" && $2 != "" { print $2 }'; }
admin_codes() { # "readyz livez" codes of every backend pod, e.g. "503/200 503/200"
  local ip urls=()
  for ip in $(pod_ips); do urls+=("http://$ip:9901/readyz" "http://$ip:9901/livez"); done
  client get "${urls[@]}" | python3 -c 'import json,sys
r = [x["outcome"] for x in json.load(sys.stdin)]
print(" ".join(f"{r[i]}/{r[i+1]}" for i in range(0, len(r), 2)))'
}
evict() { # evict POD: HTTP-level outcome of the Eviction API call (what kubectl drain does per pod)
  local body
  body=$(printf '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"%s","namespace":"%s"}}' "$1" "$NS")
  if kubectl create --raw "/api/v1/namespaces/$NS/pods/$1/eviction" -f - <<<"$body" >/dev/null 2>"$out/evict.err"; then echo granted
  else grep -q 'disruption budget' "$out/evict.err" && echo "refused (PDB)" || { echo "error: $(head -c 200 "$out/evict.err")"; }; fi
}
two_ready_endpoints() { (( $(n_ready_endpoints) == 2 )); }
two_live_ready() { (( $(n_live_ready_backends) == 2 )); }
set_gate() {
  helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --set backend.healthproxy.readinessGate="$1" --wait --timeout 180s >/dev/null &&
    wait_for 60 "backend x2 Ready under gate $1" all_ready app.kubernetes.io/component=backend 2 &&
    wait_for 60 "2 ready endpoints" two_ready_endpoints
}

before=before-cut$RANDOM  # this run's tasks only (a reused node keeps earlier runs' tasks)
client writes "$SVC_URL/api/v1/tasks" --count 10 --threads 2 --prefix "$before" >/dev/null
for gate in database serving; do
  set_gate "$gate" || { fail "$name: gate $gate" "could not switch the readiness gate"; continue; }
  restarts0=$(backend_restarts)
  client loop "$SVC_URL/api/v1/tasks" --interval 0.2 --duration "$((CUT + 10))" --new-conn >"$out/s5-$gate.json" &
  lp=$!
  sleep 5
  t_cut=$(now_ms)
  db_cut -I
  sleep "$((CUT / 2))"
  during=$(admin_codes)
  eps_mid=$(n_ready_endpoints)
  sleep "$((CUT - CUT / 2))"
  wait "$lp"
  loop=$(cat "$out/s5-$gate.json")
  # healthproxy noticed and backs off (one log line per state change, the failures in /metrics).
  backoff=$(k logs "$(backend_pods | tail -1)" -c healthproxy --tail=200 2>/dev/null | grep -c 'database down' || true)
  # Still cut: what a node drain would meet. Evict one pod; under the serving gate its replacement
  # turns Ready (it ignores the database), then the next eviction is granted too.
  pdb=$(k get pdb "$BACKEND" -o jsonpath='{.status.disruptionsAllowed}')
  victim=$(backend_pods | head -1)
  ev1=$(evict "$victim")
  ev2="-"
  if [[ $gate == serving && $ev1 == granted ]]; then
    if wait_for 90 "the evicted pod's replacement Ready during the outage" two_live_ready; then
      ev2=$(evict "$(backend_pods | grep -v "$victim" | head -1)")
    else ev2="replacement never Ready"; fi
  fi
  phases=$(k get pods -l app.kubernetes.io/component=backend --no-headers | awk '{ print $3 }' | sort | uniq -c | xargs)
  restarts1=$(backend_restarts)
  db_cut -D
  t_restore=$(now_ms)
  ready_all() { [[ $(n_live_ready_backends) -eq 2 && $(admin_codes) == "200/200 200/200" ]]; }
  if wait_for 90 "every backend /readyz 200 after the restore" ready_all; then t_back=$(secs_since "$t_restore"); else t_back=never; fi
  kept=$(client get "$SVC_URL/api/v1/tasks" | python3 -c 'import json,sys
print(sum(1 for t in json.loads(json.load(sys.stdin)[0]["body"]) if t["title"].startswith(sys.argv[1] + "-")))' "$before")
  counts=$(json /dev/stdin 'd["counts"]' <<<"$loop"); timeline=$(json /dev/stdin 'd["timeline"]' <<<"$loop")
  bad503=$(json /dev/stdin 'd["bad_503"]' <<<"$loop"); sample=$(json /dev/stdin 'd["sample_503"]' <<<"$loop")
  # Refused or reset connections at any time; timeouts: requests that were inside the app when the
  # packets started vanishing, before healthproxy's probe noticed (probe interval + probe timeout).
  refused=$(json /dev/stdin 'sum(v for k, v in d["counts"].items() if k not in ("200", "503", "timeout"))' <<<"$loop")
  timeouts=$(json /dev/stdin 'd["counts"].get("timeout", 0)' <<<"$loop")
  # The client started 5 s before the cut; healthproxy notices within probeInterval + probeTimeout
  # (5 + 3 s), and a request already waiting gives up after the client's 3 s: from 16 s on, nothing
  # but 200 and 503 is allowed.
  late=$(json /dev/stdin 'sum(1 for t, o in d["failures"] if t >= 16)' <<<"$loop")
  echo "  gate $gate: client every 200 ms through a ${CUT} s cut: $counts"
  echo "  gate $gate: timeline (s, outcome): $timeline"
  echo "  gate $gate: a 503: $sample"
  figures="gate $gate: client $counts (refused/reset: $refused, timeouts before healthproxy noticed: $timeouts, anything but 200/503 from 11 s after the cut on: $late, 503 without Retry-After+detail: $bad503); ready endpoints mid-cut $eps_mid; pods $phases, restarts $restarts0->$restarts1; readyz/livez mid-cut: $during; healthproxy 'database down' lines: $backoff; PDB disruptionsAllowed $pdb, eviction 1: $ev1, eviction 2: $ev2; all /readyz 200 ${t_back} s after the restore (bound 38 s); tasks before the cut: $kept/10"
  common_ok=0
  [[ $restarts0 == "$restarts1" && $during == "503/200 503/200" && $backoff -gt 0 && $t_back != never && $kept == 10 ]] &&
    awk -v t="$t_back" 'BEGIN { exit !(t <= 38) }' && common_ok=1
  if [[ $gate == serving ]]; then
    # The default: clients get healthproxy's 503s, never a refused connection or a timeout.
    if ((common_ok)) && [[ $refused == 0 && $late == 0 && $bad503 == 0 && $eps_mid == 2 && $ev1 == granted && $ev2 == granted ]]; then ok "$name: default (serving)" "$figures"
    else fail "$name: default (serving)" "$figures"; fi
  else
    # The alternative, measured for the README: with AlwaysAllow its drain is not blocked either.
    if ((common_ok)) && [[ $ev1 == granted ]]; then ok "$name: alternative (database)" "$figures"
    else fail "$name: alternative (database)" "$figures"; fi
  fi
  wait_for 120 "backend x2 Ready again" all_ready app.kubernetes.io/component=backend 2
done
