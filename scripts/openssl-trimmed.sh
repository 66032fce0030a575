#!/usr/bin/env bash
# openssl-trimmed.sh [PREFIX]: OpenSSL's static libraries with only what libpq's TLS client uses,
# built from Debian bookworm's own source package, installed under PREFIX (default
# /opt/podguard/openssl). The static binaries link them instead of Debian's libcrypto.a and libssl.a
# (the `static` CMake preset's PODGUARD_OPENSSL_ROOT).
#
# Why: the static healthproxy's idle RSS follows the size of its code, and Debian's libcrypto.a
# brings every algorithm (OpenSSL 3's default provider references them all). Trimmed, the text
# shrinks by about 1.5 MB and idle RSS with the TLS probe by as much (bench/results/gaps.md).
#
# What stays: TLS 1.2 and 1.3 with ECDHE (X25519, the NIST curves), RSA, ECDSA and EdDSA
# certificates, AES-GCM/CBC, ChaCha20-Poly1305, SHA-1/2/3, MD5 (libpq's md5 password), HMAC and
# PBKDF2 (SCRAM), X.509 verification, PEM/PKCS#8 keys (encrypted ones too, DES included), engines
# (libpq's sslkey=engine:...), and the assembly code (constant-time AES-NI and P-256).
# What goes (below): algorithms and protocols nothing in a PostgreSQL client handshake uses.
#
# The source: `apt-get source openssl` through deb-src entries made from this machine's own apt
# sources (apt checks each file against the signed Sources index; dpkg-source applies Debian's
# patches). The newest version the mirror serves in full is taken. Idempotent: does nothing when
# PREFIX already holds a build of the same options, of whatever version: to take a newer source
# version, remove PREFIX first. Needs root (apt), dpkg-dev, perl, make and a C compiler.
set -euo pipefail

if (($# > 1)) || [[ ${1:-} == -* ]]; then echo "usage: bash scripts/openssl-trimmed.sh [PREFIX]" >&2; exit 64; fi
PREFIX=$(realpath -m "${1:-/opt/podguard/openssl}")  # absolute: Configure needs it, and it is replaced whole
OPTIONS=(
  no-shared no-module no-legacy no-tests
  # ciphers, digests and MACs no TLS 1.2/1.3 suite or PostgreSQL client uses
  no-aria no-bf no-blake2 no-camellia no-cast no-idea no-md4 no-mdc2 no-ocb no-rc2 no-rc4
  no-rmd160 no-seed no-siphash no-siv no-sm2 no-sm3 no-sm4 no-whirlpool no-gost no-scrypt
  # key exchange and signatures: finite-field DH/DSA and binary curves (servers offer ECDHE)
  no-dh no-dsa no-ec2m
  # protocols and formats: SSL 3, TLS 1.0/1.1 (PostgreSQL 15 and libpq require 1.2), DTLS, SRP,
  # SRTP, NPN, CMS, CMP, CT, OCSP, time stamps, compression
  no-ssl3 no-tls1 no-tls1_1 no-dtls no-dgram no-srp no-srtp no-nextprotoneg no-cms no-cmp no-ct
  no-ocsp no-ts no-comp
  # machinery: async jobs, built-in hardware engines (Windows CAPI, VIA PadLock, AF_ALG, the
  # loader), the console UI (libpq passes its own passphrase callback), tracing, source file names
  # in error records
  no-async no-afalgeng no-capieng no-padlockeng no-loadereng no-ui-console no-ssl-trace no-filenames
  # size over speed: a handshake every probe interval; the bulk ciphers stay in assembly
  -Os -ffunction-sections -fdata-sections
)
STAMP="$PREFIX/.podguard-openssl"

log() { echo "openssl-trimmed: $*"; }
die() { echo "openssl-trimmed: $*" >&2; exit 1; }

want="options: ${OPTIONS[*]}"
if [[ -f $STAMP && -f $PREFIX/lib/libcrypto.a && -f $PREFIX/lib/libssl.a ]] && grep -qxF "$want" "$STAMP"; then
  log "$PREFIX is built ($(head -1 "$STAMP"))"
  exit 0
fi
# PREFIX is replaced whole, so it must be empty or one of ours: never /usr/local or the like.
if [[ -e $PREFIX || -L $PREFIX ]] && [[ ! -d $PREFIX || -L $PREFIX ]]; then
  die "$PREFIX exists and is not a directory"
fi
if [[ -d $PREFIX && ! -f $STAMP && -n $(ls -A "$PREFIX") ]]; then
  die "$PREFIX is not empty and holds no build of this script: give an empty or new directory"
fi
[[ $(id -u) -eq 0 ]] || die "apt-get source needs root"
command -v dpkg-source >/dev/null || die "dpkg-source is missing (apt-get install dpkg-dev)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/sources.list.d" "$work/apt/lists/partial" "$work/src"

# deb-src entries from the machine's own sources, in both of apt's formats.
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f $f ]] && sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$work/apt/sources.list.d/src.list"
done
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -f $f ]] && sed 's/^Types:.*/Types: deb-src/' "$f" >"$work/apt/sources.list.d/$(basename "$f")"
done
apt_opts=(-o "Dir::Etc::sourcelist=/dev/null" -o "Dir::Etc::sourceparts=$work/apt/sources.list.d"
  -o "Dir::State::Lists=$work/apt/lists" -o "APT::Sandbox::User=root")
log "reading the Sources indexes"
apt-get "${apt_opts[@]}" update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "apt-get update failed"; }

mapfile -t versions < <(apt-cache "${apt_opts[@]}" showsrc openssl 2>/dev/null | sed -n 's/^Version: //p' | sort -Vru)
((${#versions[@]})) || die "no source package 'openssl' in this machine's apt sources"
src=
for v in "${versions[@]}"; do
  rm -rf "$work/src" && mkdir "$work/src"
  if (cd "$work/src" && apt-get "${apt_opts[@]}" source -qq "openssl=$v" >>"$work/apt.log" 2>&1); then
    src=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'openssl-*' | head -1)
    [[ -n $src ]] && { log "source: openssl $v"; break; }
  fi
  echo "openssl-trimmed: warning: openssl $v is not served in full by this mirror; trying an older one" >&2
done
[[ -n $src ]] || { tail -20 "$work/apt.log" >&2; die "no version of openssl's source could be fetched"; }

cd "$src"
log "building (${OPTIONS[*]})"
./Configure --prefix="$PREFIX" --libdir=lib --openssldir=/usr/lib/ssl "${OPTIONS[@]}" \
  >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log" >&2; die "Configure failed"; }
make -j"$(nproc)" build_libs >"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; die "make failed"; }
make install_dev DESTDIR="$work/stage" >>"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; die "make install_dev failed"; }
printf 'openssl %s\n%s\n' "${v}" "$want" >"$work/stage$STAMP"
rm -rf "$PREFIX"
mkdir -p "$(dirname "$PREFIX")"
mv "$work/stage$PREFIX" "$PREFIX"
log "installed in $PREFIX"
