#!/usr/bin/env bash
# Scenario 9, stable for a while: CLUSTER_STABLE_MINUTES (default 10) of light traffic through the
# Service (a kept-alive client every 500 ms, a new-connection client every 2 s):
# 0 failed requests and 0 restarts. The seed asks for an hour; the length is a parameter.
. "$(dirname "$0")/../lib.sh"
name=09-stable
minutes=${CLUSTER_STABLE_MINUTES:-10}
secs=$((minutes * 60))
restarts0=$(backend_restarts)
pods0=$(backend_pods | sort | xargs)
CLIENT_TIMEOUT=$((secs + 120)) client loop "$SVC_URL/api/v1/tasks" --interval 0.5 --duration "$secs" >"$out/s9-keep.json" &
p1=$!
CLIENT_TIMEOUT=$((secs + 120)) client loop "$SVC_URL/api/v1/tasks" --interval 2 --duration "$secs" --new-conn >"$out/s9-new.json" &
p2=$!
wait "$p1" "$p2"
restarts1=$(backend_restarts)
pods1=$(backend_pods | sort | xargs)
all=$(k get pods -o jsonpath='{range .items[*]}{range .status.containerStatuses[*]}{.restartCount}{"\n"}{end}{end}' | awk '{ s += $1 } END { print s + 0 }')
keep=$(cat "$out/s9-keep.json"); new=$(cat "$out/s9-new.json")
fk=$(json /dev/stdin 'd["failed"]' <<<"$keep"); rk=$(json /dev/stdin 'd["requests"]' <<<"$keep")
fn=$(json /dev/stdin 'd["failed"]' <<<"$new"); rn=$(json /dev/stdin 'd["requests"]' <<<"$new")
figures="$minutes min: kept-alive $fk/$rk failed, new connections $fn/$rn failed; backend restarts $restarts0 -> $restarts1 (all containers in the namespace: $all); same pods: $([[ $pods0 == "$pods1" ]] && echo yes || echo no)"
if [[ $fk == 0 && $fn == 0 && $restarts0 == "$restarts1" && $pods0 == "$pods1" && $rk -gt $((secs)) ]]; then ok "$name" "$figures"
else fail "$name" "$figures"; fi
