#!/usr/bin/env bash
# Installs everything podguard needs to build and test on a fresh Debian bookworm machine.
# Debian packages only (plus Go tools from the Go module proxy for the chart and bench issues).
# Idempotent: safe to run again; it installs only what is missing.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config file binutils
  libboost-dev libpq-dev postgresql-server-dev-15 libssl-dev zlib1g-dev
  libspdlog-dev libfmt-dev libcli11-dev doctest-dev
  # sanitizers and fuzzing
  clang libclang-rt-14-dev
  # tests: a real PostgreSQL server, openssl for TLS certificates, real Python drivers
  postgresql-15 postgresql-client-15 openssl util-linux procps iproute2 curl
  python3-sqlalchemy python3-asyncpg python3-psycopg2 python3-psycopg
  # the stand-in backend (tests/app): FastAPI on Debian's python3
  python3-fastapi python3-uvicorn python3-websockets python3-pydantic
)

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
