#!/usr/bin/env bash
# Scenario 7, native sidecar: on 1.34 healthproxy is a restartable init container (restartPolicy
# Always) that starts before the app and stops after it; no request fails while a pod terminates
# (clients every 50 ms, kept-alive and new connections). Then the classic mode (sidecarMode: regular):
# healthproxy a regular container, and the same termination under load. Back to the default after.
. "$(dirname "$0")/../lib.sh"
name=07-native-sidecar
rev=$(helm -n "$NS" history "$RELEASE" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["revision"])')

# terminate_under_load MODE: delete one backend pod while both clients run; watch its container
# states to the end (kubectl get -w) and report the order in which the app and healthproxy stopped.
terminate_under_load() {
  local mode=$1 victim w
  victim=$(backend_pods | head -1)
  client loop "$SVC_URL/api/v1/tasks" --interval 0.05 --duration 90 >"$out/s7-$mode-keep.json" &
  local p1=$!
  client loop "$SVC_URL/api/v1/tasks" --interval 0.05 --duration 90 --new-conn >"$out/s7-$mode-new.json" &
  local p2=$!
  timeout 80 kubectl -n "$NS" get pod "$victim" -w -o json >"$out/s7-$mode-watch.json" 2>/dev/null &
  w=$!
  sleep 3
  local t0
  t0=$(now_ms)
  k delete pod "$victim" --wait=true --timeout=75s >/dev/null
  local gone
  gone=$(secs_since "$t0")
  kill "$w" 2>/dev/null; wait "$w" 2>/dev/null
  wait_for 60 "backend x2 Ready after the deletion" all_ready app.kubernetes.io/component=backend 2
  sleep 3
  stop_loops
  wait "$p1" "$p2"
  # The last finishedAt of each container in the watch stream.
  local order
  order=$(python3 - "$out/s7-$mode-watch.json" <<'PY'
import json, sys
text, dec, pos, fin = open(sys.argv[1]).read(), json.JSONDecoder(), 0, {}
while True:
    while pos < len(text) and text[pos].isspace(): pos += 1
    if pos >= len(text): break
    try: obj, pos = dec.raw_decode(text, pos)
    except ValueError: break
    st = obj.get("status", {})
    for c in st.get("initContainerStatuses", []) + st.get("containerStatuses", []):
        t = (c.get("state", {}).get("terminated") or {}).get("finishedAt")
        if t and c["name"] in ("backend", "healthproxy"): fin[c["name"]] = t
b, h = fin.get("backend"), fin.get("healthproxy")
print(f"backend stopped {b}, healthproxy stopped {h}: " + ("healthproxy after the app" if b and h and h >= b else "order unknown" if not (b and h) else "healthproxy FIRST"))
PY
)
  local keep new fk rk fn rn
  keep=$(cat "$out/s7-$mode-keep.json"); new=$(cat "$out/s7-$mode-new.json")
  fk=$(json /dev/stdin 'd["failed"]' <<<"$keep"); rk=$(json /dev/stdin 'd["requests"]' <<<"$keep")
  fn=$(json /dev/stdin 'd["failed"]' <<<"$new"); rn=$(json /dev/stdin 'd["requests"]' <<<"$new")
  note "$mode kept-alive: $keep"
  note "$mode new-conn: $new"
  echo "pod gone after ${gone} s; $order; kept-alive $fk/$rk failed, new connections $fn/$rn failed"
  [[ $fk == 0 && $fn == 0 && $rk -gt 50 && $rn -gt 50 ]]
}

# --- native (the default on 1.29+)
pod=$(backend_pods | head -1)
spec=$(k get pod "$pod" -o jsonpath='{range .spec.initContainers[*]}{.name}:{.restartPolicy}{" "}{end}|{range .spec.containers[*]}{.name}{" "}{end}')
started=$(k get pod "$pod" -o jsonpath='{range .status.initContainerStatuses[*]}{.name}={.state.running.startedAt}{" "}{end}{range .status.containerStatuses[*]}{.name}={.state.running.startedAt}{" "}{end}')
hp_start=$(grep -o 'healthproxy=[^ ]*' <<<"$started" | cut -d= -f2); app_start=$(grep -o 'backend=[^ ]*' <<<"$started" | cut -d= -f2)
note "native: spec $spec; started $started"
first=0
[[ $spec == *"healthproxy:Always"* && ${spec#*|} != *healthproxy* && -n $hp_start && -n $app_start ]] && [[ ! $hp_start > $app_start ]] && first=1
if ((first)); then
  ok "$name: native starts first" "healthproxy is an init container with restartPolicy Always; started $hp_start, the app $app_start"
else fail "$name: native starts first" "spec: $spec; started: $started"; fi
if figures=$(terminate_under_load native) && [[ $figures == *"healthproxy after the app"* ]]; then ok "$name: native termination" "$figures"
else fail "$name: native termination" "$figures"; fi

# --- regular (sidecarMode: regular)
if helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --set backend.healthproxy.sidecarMode=regular --wait --timeout 180s >/dev/null &&
  wait_for 90 "backend x2 Ready in regular mode" all_ready app.kubernetes.io/component=backend 2; then
  pod=$(backend_pods | head -1)
  spec=$(k get pod "$pod" -o jsonpath='{range .spec.initContainers[*]}{.name}{" "}{end}|{range .spec.containers[*]}{.name}{" "}{end}')
  if [[ ${spec#*|} == *healthproxy* ]] && figures=$(terminate_under_load regular); then ok "$name: regular mode" "containers: ${spec#*|}; $figures"
  else fail "$name: regular mode" "spec $spec; $figures"; fi
else fail "$name: regular mode" "helm upgrade --set backend.healthproxy.sidecarMode=regular did not become Ready"; fi
helm rollback "$RELEASE" "$rev" -n "$NS" --wait --timeout 180s >/dev/null
wait_for 90 "backend x2 Ready back in native mode" all_ready app.kubernetes.io/component=backend 2
