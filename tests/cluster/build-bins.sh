#!/usr/bin/env bash
# Builds the cluster's Go programs into tests/cluster/.out/bin (or $CLUSTER_OUT/bin):
#   k8s      one static multi-call binary, Kubernetes v1.34.4 + etcd v3.6.4 (see k8s-build/main.go),
#            with symlinks etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl
#   coredns  CoreDNS v1.12.4 with only the plugins a one-node cluster needs (coredns-build/)
# helm v3.22.0 comes from scripts/install-deps.sh --test-tools. Uses the default GOCACHE/GOMODCACHE so
# later runs (and CI on the same machine) reuse the compile; GOTOOLCHAIN=local: never download a Go.
# Usage: build-bins.sh [k8s|coredns|all]   (default all; skips a binary that is already newer than its sources)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${CLUSTER_OUT:-$here/.out}/bin
mkdir -p "$out"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
K8S_VERSION=v1.34.4
what=${1:-all}

fresh() { # fresh BIN DIR: BIN exists and is newer than every file in DIR
  [[ -x $1 ]] && [[ -z $(find "$2" -newer "$1" -type f -print -quit) ]]
}

if [[ $what == all || $what == k8s ]]; then
  if fresh "$out/k8s" "$here/k8s-build"; then echo "build-bins: k8s up to date"; else
    t0=$(date +%s)
    ldf="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
    ldf+=" -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean"
    ldf+=" -X k8s.io/component-base/version.buildDate=2026-01-01T00:00:00Z -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
    ldf+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=34"
    (cd "$here/k8s-build" && go build -p 2 -trimpath -ldflags "$ldf" -o "$out/k8s.tmp" . && mv "$out/k8s.tmp" "$out/k8s")
    echo "build-bins: k8s built in $(( $(date +%s) - t0 )) s"
  fi
  for n in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do ln -sf k8s "$out/$n"; done
fi
if [[ $what == all || $what == coredns ]]; then
  if fresh "$out/coredns" "$here/coredns-build"; then echo "build-bins: coredns up to date"; else
    t0=$(date +%s)
    (cd "$here/coredns-build" && go build -p 2 -trimpath -ldflags '-s -w' -o "$out/coredns.tmp" . && mv "$out/coredns.tmp" "$out/coredns")
    echo "build-bins: coredns built in $(( $(date +%s) - t0 )) s"
  fi
fi
