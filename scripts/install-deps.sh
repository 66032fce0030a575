#!/usr/bin/env bash
# Installs what podguard needs on a fresh Debian bookworm machine: Debian packages to build, run and
# test; with --test-tools also the Go tools the tests use (from the Go module proxy).
# Idempotent: safe to run again; it installs only what is missing.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config file binutils
  libboost-dev libpq-dev postgresql-server-dev-15 libssl-dev zlib1g-dev
  libspdlog-dev libfmt-dev libcli11-dev doctest-dev
  # the trimmed OpenSSL the static binaries link (scripts/openssl-trimmed.sh): Debian's source package
  dpkg-dev make perl
  # sanitizers and fuzzing
  clang libclang-rt-14-dev
  # tests: a real PostgreSQL server, openssl for TLS certificates, real Python drivers
  postgresql-15 postgresql-client-15 openssl util-linux procps iproute2 curl
  python3-sqlalchemy python3-asyncpg python3-psycopg2 python3-psycopg
  # the stand-in backend (tests/app): FastAPI on Debian's python3
  python3-fastapi python3-uvicorn python3-websockets python3-pydantic
)
# With --test-tools, what only the tests and bench/ need.
if [[ ${1:-} == --test-tools ]]; then
  packages+=(
    # chart tests: PyYAML for the assertions on rendered manifests
    python3-yaml
    # bench/ (and its CI smoke run): the load generator, the proxies compared, the chart
    wrk haproxy nginx python3-matplotlib
    # bench/per_request.sh and callgrind_per_request.sh: syscall and instruction counts per request
    valgrind linux-perf
    # the browser journey (tests/browser): headless Chromium driven through its DevTools protocol
    chromium fonts-dejavu-core
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all packages present"
bash "$(dirname "$0")/openssl-trimmed.sh"

[[ ${1:-} == --test-tools ]] || exit 0

# Go tools, from the Go module proxy (pinned): promtool checks /metrics, toxiproxy injects database
# faults, helm and kube-score test the charts (kube-linter is not on the proxy's allowlist here: see
# charts/todo-chatbot/README.md, Tests). `go install` builds from source: promtool takes minutes on 2 cores, so they build in parallel.
# Each entry: the binary, the module@version, and the name `go install` gives it (toxiproxy's v2
# commands are cmd/server and cmd/cli, installed under their usual names).
go_tools=(
  "promtool github.com/prometheus/prometheus/cmd/promtool@v0.316.0 promtool"
  "toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0 server"
  "toxiproxy-cli github.com/Shopify/toxiproxy/v2/cmd/cli@v2.5.0 cli"
  "helm helm.sh/helm/v3/cmd/helm@v3.22.0 helm"
  "kube-score github.com/zegl/kube-score/cmd/kube-score@v1.20.0 kube-score"
)
gobin=$(go env GOBIN 2>/dev/null); [[ -n $gobin ]] || gobin="$(go env GOPATH 2>/dev/null || echo /root/go)/bin"
mkdir -p "$gobin"
pids=()
for entry in "${go_tools[@]}"; do
  read -r bin module built <<<"$entry"
  [[ -x $gobin/$bin ]] && continue
  command -v go >/dev/null || { echo "install-deps: go is needed to install $bin"; exit 1; }
  echo "install-deps: go install $module"
  (tmp=$(mktemp -d) && GOBIN=$tmp go install "$module" && install -m 755 "$tmp/$built" "$gobin/$bin" && rm -rf "$tmp") &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || { echo "install-deps: a go install failed"; exit 1; }; done
echo "install-deps: Go tools present in $gobin"
