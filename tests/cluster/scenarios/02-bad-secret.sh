#!/usr/bin/env bash
# Scenario 2, bad secret: for each of DATABASE_URL, the AI key and BETTER_AUTH_SECRET, `helm upgrade` with
# a bad value gives the new backend pod Init:CrashLoopBackOff; `kubectl describe pod` shows initcheck's
# termination message naming the variable and the rule; the value appears nowhere (describe, events,
# the logs of every container); the old pods serve throughout (a client every 200 ms through the
# Service); `helm rollback` restores a working release.
. "$(dirname "$0")/../lib.sh"
name=02-bad-secret
good_rev=$(helm -n "$NS" history "$RELEASE" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["revision"])')
r1=$(openssl rand -hex 12); r2=$(openssl rand -hex 12)
# case: values key, variable, rule id, bad value (the random parts are what must never show)
cases=(
  "global.secrets.databaseUrl|DATABASE_URL|postgres-url.password-at-sign|postgresql://todo:$r1@$r2@$BACKEND-postgresql:5432/todo"
  "global.secrets.openaiApiKey|OPENAI_API_KEY|api-key.header-prefix|Bearer sk-proj-$r1$r2"
  "global.secrets.betterAuthSecret|BETTER_AUTH_SECRET|secret.too-short|${r1:0:10}"
)
crashing_pod() { # a backend pod whose initcheck is in CrashLoopBackOff
  k get pods -l app.kubernetes.io/component=backend -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.initContainerStatuses[0].state.waiting.reason}{"\n"}{end}' |
    awk '$2 == "CrashLoopBackOff" { print $1; exit }'
}
for c in "${cases[@]}"; do
  IFS='|' read -r key var rule bad <<<"$c"
  label=$(tr 'A-Z_' 'a-z-' <<<"$var")
  badfile=$(mktemp); printf %s "$bad" >"$badfile"
  client loop "$SVC_URL/api/v1/tasks" --interval 0.2 --duration 240 --new-conn >"$out/s2-$label.json" &
  lp=$!
  sleep 2
  t0=$(now_ms)
  helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --set-file "$key=$badfile" >/dev/null 2>&1
  rm -f "$badfile"
  pod=""
  for _ in $(seq 1 150); do pod=$(crashing_pod); [[ -n $pod ]] && break; sleep 1; done
  t_crash=$(secs_since "$t0")
  describe=""; leaks=0
  if [[ -n $pod ]]; then
    describe=$(k describe pod "$pod")
    # Everything an operator can read: describe, events, the logs of every container of every pod.
    everything=$({ echo "$describe"; k get events -o yaml;
      for p in $(k get pods -o name); do k logs "$p" --all-containers --prefix 2>/dev/null; k logs "$p" --all-containers --previous 2>/dev/null; done; })
    for secret_part in "$r1" "$r2" "${r1:0:10}"; do grep -qF "$secret_part" <<<"$everything" && leaks=$((leaks + 1)); done
  fi
  t1=$(now_ms)
  helm rollback "$RELEASE" "$good_rev" -n "$NS" --wait --timeout 180s >/dev/null 2>&1
  rb=$?
  wait_for 60 "backend x2 Ready after the rollback" all_ready app.kubernetes.io/component=backend 2
  back=$?
  t_rb=$(secs_since "$t1")
  stop_loops
  wait "$lp"
  loop=$(cat "$out/s2-$label.json")
  reqs=$(json /dev/stdin 'd["requests"]' <<<"$loop"); failed=$(json /dev/stdin 'd["failed"]' <<<"$loop")
  names=$(grep -cF "$var" <<<"$describe"); rules=$(grep -cF "[$rule]" <<<"$describe")
  figures="Init:CrashLoopBackOff after ${t_crash} s ($pod); describe names $var: $names, rule [$rule]: $rules; value found in describe/events/logs: $leaks times; old pods served $((reqs - failed))/$reqs; rollback to revision $good_rev in ${t_rb} s (rc $rb)"
  if [[ -n $pod && $names -gt 0 && $rules -gt 0 && $leaks == 0 && $failed == 0 && $rb == 0 && $back == 0 ]]; then ok "$name: $var" "$figures"
  else
    sed -n '/Init Containers:/,/Containers:/p' <<<"$describe" | head -40
    fail "$name: $var" "$figures"
  fi
done
