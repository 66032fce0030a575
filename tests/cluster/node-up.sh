#!/usr/bin/env bash
# Starts the one-node cluster: a Docker network of its own, the node container (NOT --privileged: this
# VM's capability bounding set lacks CAP_SYS_RESOURCE, so `docker run --privileged` fails; the container
# gets every other capability, its own cgroup namespace and /dev/kmsg instead), the images saved with
# `docker save` and imported by node/boot.sh with `ctr -n k8s.io images import`. Nothing is pulled.
# Leaves $CLUSTER_OUT/kubeconfig for the host (API server https://172.31.250.10:6443, on that network only).
# Undo: node-down.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${CLUSTER_OUT:-$here/.out}
. "$here/node.env"
state=$out/state
mkdir -p "$state"/{images,containerd,kubelet,etcd,logs,pv}
docker network inspect "$NODE_NET" >/dev/null 2>&1 ||
  docker network create --subnet "$NODE_SUBNET" --label podguard-cluster=1 "$NODE_NET" >/dev/null
"$here/pki.sh" "$state/pki" "$NODE_NAME" "$NODE_IP" >/dev/null
(umask 077 && sed "s#https://127.0.0.1:6443#https://$NODE_IP:6443#" "$state/pki/admin.kubeconfig" >"$out/kubeconfig")
PKI_MOUNT=/etc/k8s/pki "$here/pki.sh" "$state/pki" "$NODE_NAME" "$NODE_IP" >/dev/null
t0=$SECONDS
rm -f "$state"/images/*.tar
for img in $("$here/images.sh" list); do docker save -o "$state/images/$(tr '/:' '__' <<<"$img").tar" "$img"; done
echo "node-up: docker save $((SECONDS - t0)) s ($(du -sh "$state/images" | cut -f1))"
docker rm -f "$NODE_CONTAINER" >/dev/null 2>&1 || true
docker run -d --name "$NODE_CONTAINER" --hostname "$NODE_NAME" --network "$NODE_NET" --ip "$NODE_IP" --init \
  --label podguard-cluster=1 \
  --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --security-opt systempaths=unconfined --cgroupns=private --device /dev/kmsg --device-cgroup-rule 'a *:* rwm' \
  --tmpfs /run:rw,exec,nosuid,size=2g --tmpfs /tmp:rw,exec,size=1g \
  -v "$out/bin:/opt/k8s/bin:ro" -v "$state/pki:/etc/k8s/pki:ro" -v "$state/images:/images:ro" \
  -v "$here/node/containerd-config.toml:/etc/containerd/config.toml:ro" \
  -v "$here/node/cni.conflist:/etc/cni/net.d/10-bridge.conflist:ro" -v "$here/node/boot.sh:/usr/local/bin/boot.sh:ro" \
  -v "$state/containerd:/var/lib/containerd" -v "$state/kubelet:/var/lib/kubelet" -v "$state/etcd:/var/lib/etcd" \
  -v "$state/logs:/var/log/k8s" -v "$state/pv:/var/lib/pv" \
  -e PATH=/opt/k8s/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  podguard-cluster/node:bookworm sleep infinity >/dev/null
timeout 300 docker exec "$NODE_CONTAINER" bash /usr/local/bin/boot.sh
