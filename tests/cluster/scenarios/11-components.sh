#!/usr/bin/env bash
# Scenario 11, each component chart alone: charts/postgresql, charts/backend and charts/frontend,
# `helm install`ed as three releases (postgresql, backend, frontend) into a namespace of their own
# that enforces Pod Security "restricted", wired together by values only: the backend reads
# DATABASE_URL from the postgresql release's Secret, its Service is named backend-service
# (service.name), and the frontend's BACKEND_URL is http://backend-service:8000. Every pod Ready,
# each release's `helm test` passes, the frontend's server side reaches the backend by that name, and
# a task makes a round trip through backend-service. The same image overlay as the umbrella's
# (values-cluster.yaml), one component's part each.
. "$(dirname "$0")/../lib.sh"
name=11-components
NS=todo-parts
work=$out/components; rm -rf "$work"; mkdir -p "$work"
# Each chart's part of values-cluster.yaml (the umbrella's overlay): its images and users.
for c in backend frontend postgresql; do
  python3 -c 'import sys, yaml; print(yaml.safe_dump(yaml.safe_load(open(sys.argv[1]))[sys.argv[2]]))' \
    "$here/values-cluster.yaml" "$c" >"$work/$c.yaml" || { fail "$name" "no $c part in values-cluster.yaml"; exit 1; }
done
# A volume of its own for this PostgreSQL (no provisioner here), empty on every run.
docker exec "$NODE_CONTAINER" sh -c 'rm -rf /var/lib/pv/parts && mkdir -p /var/lib/pv/parts && chown 65532:65532 /var/lib/pv/parts && chmod 700 /var/lib/pv/parts'
kubectl delete pv pg-data-parts --ignore-not-found --wait=false >/dev/null 2>&1
kubectl patch pv pg-data-parts -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: PersistentVolume
metadata: {name: pg-data-parts}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  claimRef: {namespace: todo-parts, name: data-postgresql-0}
  hostPath: {path: /var/lib/pv/parts, type: DirectoryOrCreate}
EOF
make -s -C "$root/charts" namespace deps NAMESPACE="$NS" >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; fail "$name" "make namespace deps failed"; exit 1; }

t0=$(now_ms)
install() { # install RELEASE CHART ARGS...: helm install into $NS, the log in $work/RELEASE.log
  local release=$1 chart=$2
  shift 2
  helm install "$release" "$root/charts/$chart" -n "$NS" -f "$work/$chart.yaml" "$@" >"$work/$release.log" 2>&1 ||
    { cat "$work/$release.log"; fail "$name: $release installs alone" "helm install $release charts/$chart failed"; return 1; }
}
install postgresql postgresql --set-file auth.password="$SECRETS/postgres-password" \
  --set-json 'networkPolicy.extraClients=[{"podSelector":{"matchLabels":{"app.kubernetes.io/instance":"backend"}}},{"podSelector":{"matchLabels":{"app.kubernetes.io/instance":"frontend"}}}]' &&
  install backend backend --set service.name=backend-service --set replicas=1 --set secrets.databaseUrlSecret.name=postgresql \
    --set-file secrets.openaiApiKey="$SECRETS/openai-api-key" --set-file secrets.betterAuthSecret="$SECRETS/better-auth-secret" &&
  install frontend frontend --set backendUrl=http://backend-service:8000 \
    --set-file secrets.betterAuthSecret="$SECRETS/better-auth-secret" || exit 1
warnings=$(cat "$work"/{postgresql,backend,frontend}.log | grep -ciE 'would violate|PodSecurity|warnings\.go' || true)
ready() { all_ready app.kubernetes.io/instance=postgresql 1 && all_ready app.kubernetes.io/instance=backend 1 &&
  all_ready app.kubernetes.io/instance=frontend 1; }
if wait_for 180 "postgresql, backend and frontend releases Ready" ready; then t_ready=$(secs_since "$t0")
else diagnose; fail "$name" "not every pod Ready within 180 s"; exit 1; fi
note "three releases Ready in ${t_ready} s; admission warnings: $warnings"

# helm test of each release. The backend's asks /readyz, which needs the database reached: a first
# probe can wait out a backoff (the cluster DNS's negative cache, see charts/Makefile wait), so retry.
passed=()
for release in postgresql backend frontend; do
  for try in 1 2 3 4 5 6; do
    helm test "$release" -n "$NS" --logs >"$work/$release-test.log" 2>&1 && { passed+=("$release"); break; }
    sleep 10
  done
done
if ((${#passed[@]} == 3)); then ok "$name: helm test" "postgresql, backend and frontend releases each pass helm test"
else
  for release in postgresql backend frontend; do tail -5 "$work/$release-test.log"; done
  fail "$name: helm test" "passed only: ${passed[*]:-none}"
fi

# The frontend's server side reaches the backend as backend-service, and a task goes through it.
url=http://backend-service.$NS:8000
check=$(client get "http://frontend.$NS:3000/api/check")
backend_url=$(k get configmap frontend -o jsonpath='{.data.BACKEND_URL}')
w=$(client writes "$url/api/v1/tasks" --count 1 --threads 1 --prefix parts)
id=$(json /dev/stdin 'd["first_id"]' <<<"$w" 2>/dev/null)
back=$(client get "$url/api/v1/tasks/$id")
if [[ $backend_url == http://backend-service:8000 && $(json /dev/stdin 'd[0]["outcome"]' <<<"$check") == 200 &&
  $(json /dev/stdin 'd[0]["outcome"]' <<<"$back") == 200 && $back == *parts-0-0* ]]; then
  ok "$name: backend-service" "the frontend's BACKEND_URL $backend_url, its /api/check 200; a task round trip through $url"
else fail "$name: backend-service" "BACKEND_URL '$backend_url'; /api/check: ${check:0:300}; write: ${w:0:200}; read: ${back:0:200}"; fi
((warnings == 0)) && ((${#passed[@]} == 3)) &&
  ok "$name" "postgresql, backend, frontend installed alone as three releases, Ready in ${t_ready} s, 0 admission warnings"
((warnings == 0)) || fail "$name: no admission warning" "$warnings warning lines"

# Remove the three releases, their volume claim and the namespace (bounded).
for release in frontend backend postgresql; do helm uninstall "$release" -n "$NS" --wait --timeout 120s >/dev/null 2>&1; done
k delete pvc --all --wait=false >/dev/null 2>&1
kubectl delete namespace "$NS" --timeout=120s >/dev/null 2>&1 || note "namespace $NS still terminating"
kubectl delete pv pg-data-parts --wait=false >/dev/null 2>&1
exit 0
