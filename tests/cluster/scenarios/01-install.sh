#!/usr/bin/env bash
# Scenario 1, install: `make install wait` (the Minikube path: helm upgrade --install, rollouts, helm
# test) into a namespace enforcing Pod Security "restricted", backend x2 + frontend + PostgreSQL.
# Every pod Running and Ready within 2 min with no admission warning; helm test passes; a task
# created through the backend Service is read back. The backend runs images/app/backend.Dockerfile's
# image (tests/cluster/images.sh): under the seeds' 500 MB, a numeric non-root USER, and in the pod uid
# 1000 with uvicorn as PID 1.
. "$(dirname "$0")/../lib.sh"
name=01-install
t0=$(now_ms)
log=$out/install.log
make_chart install >"$log" 2>&1
rc=$?
# Admission warnings as helm prints them: the API server's Warning headers (client-go logs them as
# "W... warnings.go:...] would violate PodSecurity ...").
warnings=$(grep -ciE 'would violate|PodSecurity|warnings\.go' "$log" || true)
if ((rc != 0)); then cat "$log"; fail "$name" "make install exited $rc"; exit 1; fi
ready() { all_ready app.kubernetes.io/component=backend 2 && all_ready app.kubernetes.io/component=frontend 1 &&
  all_ready app.kubernetes.io/component=postgresql 1; }
if wait_for 120 "backend x2, frontend, postgresql Ready" ready; then t_ready=$(secs_since "$t0")
else fail "$name" "not every pod Ready within 120 s"; exit 1; fi
note "all Ready in ${t_ready} s; admission warnings: $warnings"
((warnings == 0)) || { grep -iE 'would violate|PodSecurity|warnings\.go' "$log"; fail "$name: no admission warning" "$warnings warning lines"; }
t1=$(now_ms)
if make_chart wait >"$out/helm-test.log" 2>&1 && grep -q 'Phase:.*Succeeded' "$out/helm-test.log"; then
  ok "$name: helm test" "make wait (rollouts + helm test) passed in $(secs_since "$t1") s"
else cat "$out/helm-test.log"; fail "$name: helm test" "make wait / helm test failed"; fi
# Both pods have reached the database (a pod is Ready before that: readinessGate serving).
wait_for 90 "every backend pod's /readyz 200" backends_db_ready || fail "$name: database reached" "a backend pod's /readyz is not 200 after 90 s"
note "every backend pod's /readyz 200 $(secs_since "$t0") s after the install began"
# A task through the Service, read back by id.
w=$(client writes "$SVC_URL/api/v1/tasks" --count 1 --threads 1 --prefix install)
id=$(json /dev/stdin 'd["first_id"]' <<<"$w")
back=$(client get "$SVC_URL/api/v1/tasks/$id")
if [[ $(json /dev/stdin 'd[0]["outcome"]' <<<"$back") == 200 && $back == *install-0-0* ]]; then
  ok "$name: task round trip" "POST then GET /api/v1/tasks/$id through the Service"
else fail "$name: task round trip" "write: $w; read: $back"; fi
# The seeds' Service name: the backend Service is backend-service (global.backendService.name), the
# frontend's BACKEND_URL follows it, and the frontend's server side reaches the backend by that name
# (/api/check: the backend's /health and a token signed with the shared BETTER_AUTH_SECRET verified).
backend_url=$(k get configmap todo-chatbot-frontend -o jsonpath='{.data.BACKEND_URL}')
check=$(client get "http://todo-chatbot-frontend:3000/api/check")
if k get service "$BACKEND_SERVICE" >/dev/null 2>&1 && [[ $backend_url == "http://$BACKEND_SERVICE:8000" ]] &&
  [[ $(json /dev/stdin 'd[0]["outcome"]' <<<"$check") == 200 ]]; then
  ok "$name: backend-service" "Service $BACKEND_SERVICE; the frontend's BACKEND_URL $backend_url; its /api/check through it 200"
else fail "$name: backend-service" "Service: $(k get service "$BACKEND_SERVICE" -o name 2>&1); BACKEND_URL '$backend_url'; /api/check: ${check:0:400}"; fi
# The backend image: the app's Dockerfile, as the cluster runs it.
img=$(k get deploy "$BACKEND" -o jsonpath='{.spec.template.spec.containers[?(@.name=="backend")].image}')
size=$(docker image inspect -f '{{.Size}}' "$img" 2>/dev/null || echo 0)
user=$(docker image inspect -f '{{.Config.User}}' "$img" 2>/dev/null)
pod=$(backend_pods | head -1)
uid=$(k exec "$pod" -c backend -- python3 -c 'import os; print(os.getuid(), os.getgid())' 2>&1)
pid1=$(k exec "$pod" -c backend -- python3 -c 'print(open("/proc/1/cmdline").read().replace("\0", " ").strip())' 2>&1)
mb=$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')
figures="$img: $mb MB ($size bytes, limit 500 MB), USER $user; in $pod: uid/gid $uid, PID 1: $pid1"
if ((size > 0 && size < 500000000)) && [[ $user =~ ^([1-9][0-9]*)(:[0-9]+)?$ && $uid == "1000 1000" && $pid1 == *"-m uvicorn --proxy-headers"* ]]; then
  ok "$name: backend image" "$figures"
else fail "$name: backend image" "$figures"; fi
running=$(k get pods --no-headers | grep -c Running)
((warnings == 0)) && ok "$name" "$running pods Running and Ready in ${t_ready} s (bound 120 s), 0 admission warnings, namespace enforce=restricted"
