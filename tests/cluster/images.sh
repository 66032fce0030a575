#!/usr/bin/env bash
# Builds every image the cluster runs, locally (nothing is pulled), and lists them for the node:
#   debian:bookworm-slim            images/local-base.sh (skipped when present)
#   podguard-cluster/node:bookworm  the node: containerd 1.6, runc, CNI plugins, iptables (Debian)
#   podguard-cluster/pause:3.10     our own static pause (images/pause/pause.c)
#   podguard-cluster/coredns:1.12.4 CoreDNS from build-bins.sh
#   podguard/initcheck:0.1.0, podguard/healthproxy:0.1.0   images/Dockerfile (the chart's appVersion)
#   podguard-cluster/backend:1      images/app/backend.Dockerfile, the Dockerfile the app's users get,
#                                   built around the stand-in backend (tests/app) by tests/lib/app_image.sh:
#                                   uid 1000, uvicorn as PID 1; :2 is the same image, for the rolling update
#   podguard-cluster/postgres:15, frontend:1   the stand-ins of tests/e2e
# Usage: images.sh [list]   "list" prints the images the node imports, one per line, and builds nothing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${CLUSTER_OUT:-$here/.out}
tag=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$root/charts/todo-chatbot/Chart.yaml")
node_images=(
  podguard-cluster/pause:3.10 podguard-cluster/coredns:1.12.4
  "podguard/initcheck:$tag" "podguard/healthproxy:$tag"
  podguard-cluster/backend:1 podguard-cluster/backend:2 podguard-cluster/postgres:15 podguard-cluster/frontend:1
)
if [[ ${1:-} == list ]]; then printf '%s\n' "${node_images[@]}"; exit 0; fi

timed() { local t0=$SECONDS; "$@" || return; echo "images: $* -- $((SECONDS - t0)) s"; }
. "$root/tests/lib/image_build.sh"
build() { docker build -q "$@" >/dev/null; }

timed bash "$root/images/local-base.sh"
timed build -t podguard-cluster/node:bookworm "$here/images/node"
mkdir -p "$out/pause" "$out/coredns"
gcc -Os -static -o "$out/pause/pause" "$here/images/pause/pause.c" && strip "$out/pause/pause"
cp "$here/images/pause/Dockerfile" "$out/pause/"
timed build -t podguard-cluster/pause:3.10 "$out/pause"
cp "$out/bin/coredns" "$out/coredns/" && cp "$here/images/coredns.Dockerfile" "$out/coredns/Dockerfile"
timed build -t podguard-cluster/coredns:1.12.4 "$out/coredns"
# The two podguard targets share images/Dockerfile's build stage: the second build is cached. Each
# holds the lock that the image tests' builds of the same Dockerfile hold (tests/lib/image_build.sh).
cd "$root"
locked_build() { timeout 3000 flock "$IMAGE_BUILD_LOCK" docker build -q "$@" >/dev/null; }
timed locked_build -f images/Dockerfile --target initcheck --build-arg VERSION="$tag" -t "podguard/initcheck:$tag" .
timed locked_build -f images/Dockerfile --target healthproxy --build-arg VERSION="$tag" -t "podguard/healthproxy:$tag" .
# The backend: the app's Dockerfile, offline (its base ARG is Debian's python3 FastAPI stack).
. "$root/tests/lib/app_image.sh"
if ! timed build_app_backend_image podguard-cluster/backend:1 "$out/backend-image.log"; then
  echo "images: the backend image failed to build; the end of $out/backend-image.log:" >&2
  tail -n 20 "$out/backend-image.log" >&2
  exit 1
fi
docker tag podguard-cluster/backend:1 podguard-cluster/backend:2
timed build -f tests/e2e/postgres.Dockerfile -t podguard-cluster/postgres:15 .
timed build -f tests/e2e/frontend.Dockerfile -t podguard-cluster/frontend:1 .
