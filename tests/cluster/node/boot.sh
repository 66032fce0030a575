#!/usr/bin/env bash
# Runs INSIDE the node container (tests/cluster/node-up.sh runs it with docker exec). Starts containerd,
# imports the images, then etcd, the control plane, kubelet and kube-proxy as background processes;
# PIDs in /var/run/k8s/*.pid, logs in /var/log/k8s/*.log (a bind mount: the host keeps them).
# Every wait is bounded and fails with the component's log.
set -euo pipefail
B=/opt/k8s/bin; PKI=/etc/k8s/pki; LOG=/var/log/k8s; RUN=/var/run/k8s
NODE=k8s-node; NODE_IP=$(ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
mkdir -p $LOG $RUN /var/lib/etcd /var/lib/kubelet /etc/k8s
ts() { date +%s.%N; }
T0=$(ts)
start() { local name=$1; shift; setsid "$@" >$LOG/$name.log 2>&1 < /dev/null & echo $! >$RUN/$name.pid; }

# --- the container's own /sys and cgroups read-write (no --privileged: this VM's bounding set lacks
# CAP_SYS_RESOURCE, so docker run --privileged fails with "unable to apply caps")
mount -o remount,rw /sys
for c in /sys/fs/cgroup/*/; do mount -o remount,bind,rw "$c"; done
# kubelet (protectKernelDefaults=false) would write these VM-global sysctls; it sees its desired values
# in files bind-mounted over them, so the host kernel is never changed.
for kv in vm/overcommit_memory=1 kernel/panic=10 kernel/panic_on_oops=1; do
  f=/etc/k8s/sysctl-${kv%%=*}; f=${f//\//_}; echo "${kv#*=}" >"$f"; mount --bind "$f" "/proc/sys/${kv%%=*}"
done
printf 'nameserver 10.96.0.10\n' >/etc/k8s/resolv.conf

# --- containerd and the images (pause + whatever tarballs are in /images)
start containerd containerd --config /etc/containerd/config.toml
for i in $(seq 1 100); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
ctr version >/dev/null || { tail -20 $LOG/containerd.log; exit 1; }
for t in /images/*.tar; do ctr -n k8s.io images import "$t" >/dev/null; done
echo "node-up: containerd + images $(awk -v a=$(ts) -v b=$T0 "BEGIN{printf \"%.1f\", a-b}") s"

# --- etcd + kube-apiserver
start etcd $B/etcd --name node --data-dir /var/lib/etcd --listen-client-urls http://127.0.0.1:2379 \
  --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster node=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381
start kube-apiserver $B/kube-apiserver --etcd-servers=http://127.0.0.1:2379 --bind-address=0.0.0.0 --advertise-address=$NODE_IP --secure-port=6443 \
  --tls-cert-file=$PKI/apiserver.crt --tls-private-key-file=$PKI/apiserver.key --client-ca-file=$PKI/ca.crt \
  --kubelet-client-certificate=$PKI/apiserver-kubelet-client.crt --kubelet-client-key=$PKI/apiserver-kubelet-client.key \
  --kubelet-certificate-authority=$PKI/ca.crt --kubelet-preferred-address-types=InternalIP \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-account-key-file=$PKI/sa.pub \
  --service-account-signing-key-file=$PKI/sa.key --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true
export KUBECONFIG=$PKI/admin.kubeconfig
for i in $(seq 1 240); do $B/kubectl get --raw /readyz >/dev/null 2>&1 && break; sleep 0.25; done
$B/kubectl get --raw /readyz >/dev/null || { tail -30 $LOG/kube-apiserver.log; exit 1; }
echo "node-up: apiserver ready $(awk -v a=$(ts) -v b=$T0 "BEGIN{printf \"%.1f\", a-b}") s"

# --- controller-manager, scheduler
start kube-controller-manager $B/kube-controller-manager --kubeconfig=$PKI/controller-manager.kubeconfig \
  --authentication-kubeconfig=$PKI/controller-manager.kubeconfig --authorization-kubeconfig=$PKI/controller-manager.kubeconfig \
  --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file=$PKI/sa.key --root-ca-file=$PKI/ca.crt \
  --cluster-signing-cert-file=$PKI/ca.crt --cluster-signing-key-file=$PKI/ca.key \
  --service-cluster-ip-range=10.96.0.0/16 --cluster-cidr=10.244.0.0/16 --allocate-node-cidrs=false
start kube-scheduler $B/kube-scheduler --kubeconfig=$PKI/scheduler.kubeconfig \
  --authentication-kubeconfig=$PKI/scheduler.kubeconfig --authorization-kubeconfig=$PKI/scheduler.kubeconfig \
  --bind-address=127.0.0.1 --leader-elect=false

# --- kubelet
cat >/etc/k8s/kubelet.yaml <<KC
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: /
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
clusterDNS: [10.96.0.10]
clusterDomain: cluster.local
resolvConf: /etc/k8s/resolv.conf
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
failSwapOn: false
oomScoreAdj: 0
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
KC
start kubelet $B/kubelet --config=/etc/k8s/kubelet.yaml --kubeconfig=$PKI/kubelet-client.kubeconfig \
  --hostname-override=$NODE --node-ip=$NODE_IP

# --- kube-proxy (iptables); no VM-global sysctl writes (conntrack limits untouched, no route_localnet)
cat >/etc/k8s/kube-proxy.yaml <<KP
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $PKI/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: 10.244.0.0/16
hostnameOverride: $NODE
oomScoreAdj: 0
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
KP
start kube-proxy $B/kube-proxy --config=/etc/k8s/kube-proxy.yaml
node_ready() { $B/kubectl get node $NODE -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True; }
for i in $(seq 1 240); do node_ready && break; sleep 0.5; done
node_ready || { tail -30 $LOG/kubelet.log; exit 1; }
# pods need the default ServiceAccount, which the controller-manager creates a moment later
for i in $(seq 1 240); do $B/kubectl -n default get serviceaccount default >/dev/null 2>&1 && break; sleep 0.25; done
$B/kubectl get nodes -o wide
echo "node-up: node Ready $(awk -v a=$(ts) -v b=$T0 "BEGIN{printf \"%.1f\", a-b}") s"
