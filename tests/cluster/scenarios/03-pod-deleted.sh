#!/usr/bin/env bash
# Scenario 3, pod deleted (seed 000 SC-004): a deleted backend pod is replaced and Ready within 30 s;
# requests through the Service during the replacement all succeed; no data is lost.
. "$(dirname "$0")/../lib.sh"
name=03-pod-deleted
keep=keep$RANDOM  # this run's tasks only (a reused node keeps earlier runs' tasks)
w=$(client writes "$SVC_URL/api/v1/tasks" --count 5 --threads 1 --prefix "$keep")
victim=$(backend_pods | head -1)
client loop "$SVC_URL/api/v1/tasks" --interval 0.2 --duration 45 --new-conn >"$out/s3-loop.json" &
loop_pid=$!
sleep 3
t0=$(now_ms)
k delete pod "$victim" --wait=false >/dev/null
replaced() { (( $(n_live_ready_backends) == 2 )) && (( $(n_ready_endpoints) == 2 )); }
if wait_for 60 "a replacement of $victim Ready" replaced; then t_back=$(secs_since "$t0"); else t_back=never; fi
wait "$loop_pid"
loop=$(cat "$out/s3-loop.json")
note "client: $loop"
reqs=$(json /dev/stdin 'd["requests"]' <<<"$loop"); failed=$(json /dev/stdin 'd["failed"]' <<<"$loop")
kept=$(client get "$SVC_URL/api/v1/tasks" | python3 -c 'import json,sys
print(sum(1 for t in json.loads(json.load(sys.stdin)[0]["body"]) if t["title"].startswith(sys.argv[1] + "-")))' "$keep")
figures="replacement Ready (2 live Ready pods, 2 ready endpoints) in ${t_back} s (bound 30 s); $reqs requests every 200 ms on new connections, $failed failed; tasks written before: $kept/5 present"
if [[ $t_back != never ]] && awk -v t="$t_back" 'BEGIN { exit !(t <= 30) }' && [[ $failed == 0 && $kept == 5 ]]; then ok "$name" "$figures"
else fail "$name" "$figures"; fi
