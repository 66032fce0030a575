#!/usr/bin/env bash
# Scenario 4, two replicas: concurrent writes through the Service reach both backend pods (each pod's
# healthproxy_requests_total grows) with no conflict: every POST 201, every id distinct, all read back.
. "$(dirname "$0")/../lib.sh"
name=04-two-replicas
n=${CLUSTER_WRITES:-200}
pod_requests() { # the sum of healthproxy_requests_total of each backend pod, "ip=count" per line
  local ip
  for ip in $(k get pods -l app.kubernetes.io/component=backend -o jsonpath='{range .items[*]}{.status.podIP}{" "}{end}'); do
    echo "$ip=$(client get "http://$ip:9901/metrics" | python3 -c 'import json,sys
body = json.load(sys.stdin)[0]["body"]
print(int(sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines() if l.startswith("healthproxy_requests_total"))))')"
  done
}
before=$(pod_requests)
prefix=conc$RANDOM  # this run's titles only: earlier runs on a reused node wrote some too
w=$(client writes "$SVC_URL/api/v1/tasks" --count "$n" --threads 20 --prefix "$prefix")
after=$(pod_requests)
note "writes: $w"
created=$(json /dev/stdin 'd["counts"].get("201", 0)' <<<"$w")
dups=$(json /dev/stdin 'd["duplicate_ids"]' <<<"$w")
secs=$(json /dev/stdin 'd["seconds"]' <<<"$w")
# Per pod: how many requests it served during the writes (the metrics scrapes themselves add a few).
per_pod=$(join -t= <(sort <<<"$before") <(sort <<<"$after") | awk -F= '{ printf "%s:%d ", $1, $3 - $2 }')
pods_hit=$(awk '{ for (i = 1; i <= NF; i++) { split($i, a, ":"); if (a[2] >= 10) n++ } } END { print n + 0 }' <<<"$per_pod")
# Every title read back once.
listing=$(client get "$SVC_URL/api/v1/tasks")
readback=$(python3 -c 'import json,sys
items = json.loads(json.load(sys.stdin)[0]["body"])
titles = [t["title"] for t in items if t["title"].startswith(sys.argv[1] + "-")]
print(len(titles), len(set(titles)))' "$prefix" <<<"$listing")
figures="$created/$n POSTs 201 in ${secs} s (20 threads), duplicate ids $dups, requests per pod: ${per_pod}, read back (total, distinct): $readback"
if [[ $created == "$n" && $dups == 0 && $pods_hit -ge 2 && $readback == "$n $n" ]]; then ok "$name" "$figures"
else fail "$name" "$figures"; fi
