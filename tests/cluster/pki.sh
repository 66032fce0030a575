#!/usr/bin/env bash
# pki.sh DIR NODE_NAME [EXTRA_IP...]: a CA, serving/client certs and the service-account key pair, via openssl.
set -euo pipefail
D=$1; NODE=$2; shift 2
mkdir -p "$D"; cd "$D"
KP=${PKI_MOUNT:-$D}  # the directory as the consumers of the kubeconfigs see it
if [[ ! -f ca.crt ]]; then
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj /CN=podguard-cluster-ca 2>/dev/null
openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
IPS="IP:127.0.0.1,IP:10.96.0.1"; for ip in "$@"; do IPS="$IPS,IP:$ip"; done
# cert NAME CN O SAN(optional) EKU
cert() {
  local name=$1 cn=$2 o=$3 san=$4 eku=$5 subj="/CN=$2"
  [[ -n $o ]] && subj="/O=$o/CN=$cn"
  openssl req -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr -subj "$subj" 2>/dev/null
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"; echo "extendedKeyUsage=$eku"
    [[ -n $san ]] && echo "subjectAltName=$san"; } > $name.ext
  openssl x509 -req -in $name.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $name.crt -days 30 -extfile $name.ext 2>/dev/null
  rm -f $name.csr $name.ext
}
cert apiserver kube-apiserver "" "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,$IPS" serverAuth
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "" clientAuth
cert admin admin system:masters "" clientAuth
cert controller-manager system:kube-controller-manager "" "" clientAuth
cert scheduler system:kube-scheduler "" "" clientAuth
cert kube-proxy system:kube-proxy "" "" clientAuth
cert kubelet-client system:node:$NODE system:nodes "" clientAuth
cert kubelet "$NODE" "" "DNS:$NODE,DNS:localhost,$IPS" serverAuth
fi
# kubeconfigs: kubeconfig NAME SERVER
for n in admin controller-manager scheduler kube-proxy kubelet-client; do
  cat > $n.kubeconfig <<KC
apiVersion: v1
kind: Config
clusters:
- name: cluster
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: $KP/ca.crt}
users:
- name: $n
  user: {client-certificate: $KP/$n.crt, client-key: $KP/$n.key}
contexts:
- name: cluster
  context: {cluster: cluster, user: $n}
current-context: cluster
KC
done
echo "pki: wrote $D"
