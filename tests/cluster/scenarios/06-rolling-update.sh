#!/usr/bin/env bash
# Scenario 6, rolling update under load: `helm upgrade` changes the backend image tag (1 -> 2, the same
# stand-in) while two clients call the Service every 50 ms, one over a kept-alive connection reused
# across requests, one opening a new connection per request: 0 failed requests. Then `helm rollback`,
# with the same clients: 0 failed.
. "$(dirname "$0")/../lib.sh"
name=06-rolling-update
under_load() { # under_load LABEL COMMAND...: the command while both clients run; prints the figures
  local label=$1 t0 rc
  shift
  client loop "$SVC_URL/api/v1/tasks" --interval 0.05 --duration 150 >"$out/s6-$label-keep.json" &
  local p1=$!
  client loop "$SVC_URL/api/v1/tasks" --interval 0.05 --duration 150 --new-conn >"$out/s6-$label-new.json" &
  local p2=$!
  sleep 3
  t0=$(now_ms)
  "$@" >"$out/s6-$label.log" 2>&1
  rc=$?
  local took
  took=$(secs_since "$t0")
  # Let the clients see the settled state for a few seconds, then stop them early.
  sleep 5
  stop_loops
  wait "$p1" "$p2"
  local keep new
  keep=$(cat "$out/s6-$label-keep.json"); new=$(cat "$out/s6-$label-new.json")
  note "$label kept-alive: $keep"
  note "$label new-conn:   $new"
  local fk fn rk rn
  fk=$(json /dev/stdin 'd["failed"]' <<<"$keep"); rk=$(json /dev/stdin 'd["requests"]' <<<"$keep")
  fn=$(json /dev/stdin 'd["failed"]' <<<"$new"); rn=$(json /dev/stdin 'd["requests"]' <<<"$new")
  local figures="$label in ${took} s (rc $rc): kept-alive $fk/$rk failed, new connections $fn/$rn failed"
  if [[ $rc == 0 && $fk == 0 && $fn == 0 && $rk -gt 50 && $rn -gt 50 ]]; then ok "$name: $label" "$figures"
  else cat "$out/s6-$label.log"; fail "$name: $label" "$figures"; fi
}
rev=$(helm -n "$NS" history "$RELEASE" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["revision"])')
under_load upgrade helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --set-string backend.image.tag=2 --wait --timeout 180s
tag=$(k get deploy "$BACKEND" -o jsonpath='{.spec.template.spec.containers[?(@.name=="backend")].image}')
[[ $tag == *:2 ]] || fail "$name: upgrade" "the backend image is $tag, not tag 2"
under_load rollback helm rollback "$RELEASE" "$rev" -n "$NS" --wait --timeout 180s
tag=$(k get deploy "$BACKEND" -o jsonpath='{.spec.template.spec.containers[?(@.name=="backend")].image}')
[[ $tag == *:1 ]] || fail "$name: rollback" "the backend image is $tag, not tag 1"
