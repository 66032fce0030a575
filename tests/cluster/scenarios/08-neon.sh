#!/usr/bin/env bash
# Scenario 8, Neon mode: values-neon.yaml (in-cluster PostgreSQL off) in a second namespace, with an
# external database reached by DNS name (manifests/neon-standin.yaml: PostgreSQL with TLS): the
# URL carries sslmode=require, `initcheck --connect` passes (strict), healthproxy's connection is
# TLS, and after idleAfter without requests the idle probe interval (10m) is in effect.
. "$(dirname "$0")/../lib.sh"
name=08-neon
NS=todo-neon
tls=$out/neon-tls; rm -rf "$tls"; mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=neon.ext-db.svc.cluster.local \
  -keyout "$tls/tls.key" -out "$tls/tls.crt" 2>/dev/null
pw=$(openssl rand -hex 16)
kubectl create namespace ext-db --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl label --overwrite namespace ext-db pod-security.kubernetes.io/enforce=restricted >/dev/null
kubectl -n ext-db create secret generic neon-tls --from-file="$tls/tls.crt" --from-file="$tls/tls.key" \
  --from-literal=password="$pw" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl apply -f "$here/manifests/neon-standin.yaml" >/dev/null
kubectl -n ext-db wait --for=condition=Ready pod/neon --timeout=120s >/dev/null || { fail "$name" "the external database stand-in never got Ready"; kubectl -n ext-db describe pod neon | tail -20; exit 1; }
secrets=$out/secrets-neon; rm -rf "$secrets"; install -d -m 700 "$secrets"
cp "$SECRETS"/{openai-api-key,better-auth-secret} "$secrets/"
printf 'postgresql://todo:%s@neon.ext-db.svc.cluster.local:5432/todo?sslmode=require' "$pw" >"$secrets/database-url"
t0=$(now_ms)
make -s -C "$root/charts" namespace install NAMESPACE="$NS" RELEASE="$RELEASE" SECRETS_DIR="$secrets" \
  VALUES="$CHART/values-neon.yaml" EXTRA_VALUES="$here/values-cluster.yaml $here/values-neon-cluster.yaml" >"$out/neon-install.log" 2>&1 ||
  { cat "$out/neon-install.log"; fail "$name" "make install (values-neon.yaml) failed"; exit 1; }
if ! wait_for 150 "the Neon-mode backend Ready" all_ready app.kubernetes.io/component=backend 1; then fail "$name" "backend not Ready"; exit 1; fi
t_ready=$(secs_since "$t0")
pod=$(backend_pods | head -1)
args=$(k get pod "$pod" -o jsonpath='{.spec.initContainers[?(@.name=="initcheck")].args}')
ic_exit=$(k get pod "$pod" -o jsonpath='{.status.initContainerStatuses[?(@.name=="initcheck")].state.terminated.exitCode}')
tls_up=$(k logs "$pod" -c healthproxy | grep -c 'database up.*tls=true' || true)
w=$(client writes "http://$BACKEND_SERVICE.$NS:8000/api/v1/tasks" --count 3 --threads 1 --prefix neon)
created=$(json /dev/stdin 'd["counts"].get("201", 0)' <<<"$w")
# Idle: no request for idleAfter (20 s here), then the next probe is ~10 min away.
sleep 30
status=$(client get "http://$(k get pod "$pod" -o jsonpath='{.status.podIP}'):9901/status")
next_in=$(python3 -c 'import json,sys,datetime
s = json.loads(json.load(sys.stdin)[0]["body"])
n = datetime.datetime.fromisoformat(s["database"]["next_probe"].replace("Z", "+00:00"))
print(int((n - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))' <<<"$status")
figures="Ready in ${t_ready} s; initcheck args $args exit $ic_exit; healthproxy 'database up ... tls=true': $tls_up; 3 writes: $created x 201; after 30 s idle the next probe is in ${next_in} s (idleProbeInterval 10m)"
if [[ $args == *--connect* && $args == *--strict* && $ic_exit == 0 && $tls_up -gt 0 && $created == 3 && $next_in -gt 120 ]]; then ok "$name" "$figures"
else fail "$name" "$figures"; fi
helm -n "$NS" uninstall "$RELEASE" --wait --timeout 120s >/dev/null 2>&1
kubectl delete namespace ext-db "$NS" --wait=false >/dev/null 2>&1
true
