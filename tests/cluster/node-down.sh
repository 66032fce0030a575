#!/usr/bin/env bash
# Removes the node container (every process of the cluster dies with it), its network and its state
# (etcd, containerd, kubelet, the PV, the saved images). Keeps the binaries, the Docker images and,
# unless --all, the logs in $CLUSTER_OUT/state/logs. Safe to run when nothing is up.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${CLUSTER_OUT:-$here/.out}
. "$here/node.env"
docker rm -f "$NODE_CONTAINER" >/dev/null 2>&1
docker network rm "$NODE_NET" >/dev/null 2>&1
for d in containerd kubelet etcd pv images pki; do rm -rf --one-file-system "${out:?}/state/$d"; done
[[ ${1:-} == --all ]] && rm -rf --one-file-system "$out/state/logs"
true
