#!/usr/bin/env bash
# Builds a local `debian:bookworm-slim` image from Debian packages, for machines whose Docker Engine
# cannot pull from a registry. images/Dockerfile starts FROM debian:bookworm-slim; with a registry,
# Docker pulls the official image and this script is not needed.
#
#   bash images/local-base.sh [--force] [--tag NAME:TAG]
#
# It runs `debootstrap --variant=minbase bookworm` into a temporary directory, using the Debian
# mirror that this machine's own apt configuration names, slims the tree the way the official -slim
# image does (no apt lists, docs, man pages or locales), points the image's apt sources at the same
# mirror, and imports the tree with `docker import`. Idempotent: when the image already exists it
# does nothing, unless --force. Needs root (debootstrap), a Debian host and a running Docker Engine;
# installs debootstrap with apt when it is missing. The first run takes a few minutes.
set -euo pipefail

TAG=debian:bookworm-slim
SUITE=bookworm
FORCE=0

usage() { sed -n '2,13s/^# \{0,1\}//p' "$0"; }
while (($#)); do
  case $1 in
    --force) FORCE=1 ;;
    --tag) TAG=${2:?--tag needs NAME:TAG}; shift ;;
    --tag=*) TAG=${1#--tag=} ;;
    -h | --help) usage; exit 0 ;;
    *) echo "local-base: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
  shift
done

log() { echo "local-base: $*"; }
die() { echo "local-base: error: $*" >&2; exit 1; }

command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "cannot reach the Docker Engine (is it running, and may this user use it?)"

old_id=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
if [[ -n $old_id && $FORCE -eq 0 ]]; then
  log "$TAG already exists (${old_id:7:12}); nothing to do (--force rebuilds it)"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "debootstrap needs root; run as root"
command -v apt-get >/dev/null || die "this script needs a Debian host (apt-get and debootstrap)"

export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null && [[ ! -x /usr/sbin/debootstrap ]]; then
  log "installing debootstrap"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends debootstrap debian-archive-keyring >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -r $KEYRING ]] || die "$KEYRING is missing (apt-get install debian-archive-keyring)"

# --- The mirror, as this machine's apt configuration names it -------------------------------------
# `apt-get indextargets` lists every configured repository after apt has parsed both formats
# (sources.list and deb822 .sources). Each line: URI SUITE.
apt_repos() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(TARGET_OF)' 2>/dev/null |
    awk '$3 == "deb" { print $1, $2 }' | sort -u
}
# Fallback parser for the two source formats, used only if indextargets printed nothing (it lists
# nothing on some apt versions before the first `apt-get update`).
parse_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    # deb [options] URI SUITE COMPONENT...
    sed -E 's/#.*//; s/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    # Stanzas separated by blank lines; print every URI x Suite of stanzas with Types: deb and not
    # Enabled: no.
    awk 'function flush() { if (deb && en) for (u in U) for (s in S) print U[u], S[s];
                            deb = 0; en = 1; delete U; delete S }
         BEGIN { en = 1 }
         /^[ \t]*#/ { next }
         /^[ \t]*$/ { flush(); next }
         tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
         tolower($1) == "enabled:" { if (tolower($2) == "no") en = 0 }
         tolower($1) == "uris:" { for (i = 2; i <= NF; i++) U[i] = $i }
         tolower($1) == "suites:" { for (i = 2; i <= NF; i++) S[i] = $i }
         END { flush() }' "$f"
  done
}
repos=$(apt_repos)
[[ -n $repos ]] || repos=$(parse_sources | sort -u)
# One URI per suite, with a trailing slash removed: the first one apt lists.
repo_for() { awk -v s="$1" '$2 == s { sub(/\/+$/, "", $1); print $1; exit }' <<<"$repos"; }
MIRROR=$(repo_for "$SUITE")
[[ -n $MIRROR ]] || die "no '$SUITE' repository in this machine's apt configuration (/etc/apt/sources.list, /etc/apt/sources.list.d/)"
UPDATES_MIRROR=$(repo_for "$SUITE-updates")
SECURITY_MIRROR=$(repo_for "$SUITE-security")
log "mirror $MIRROR (updates: ${UPDATES_MIRROR:-none}, security: ${SECURITY_MIRROR:-none})"

# --- debootstrap into a temporary directory --------------------------------------------------------
# On disk rather than /tmp (often a small tmpfs, or mounted nodev).
ROOT=$(mktemp -d /var/tmp/podguard-base.XXXXXX)
cleanup() {
  # debootstrap mounts /proc and /sys inside the target; unmount anything left under it (deepest
  # first) before removing the tree, and never cross into another file system.
  local m
  for m in $(awk -v r="$ROOT/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$ROOT"
  rm -f "$ROOT.log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "debootstrap --variant=minbase $SUITE into $ROOT (a few minutes the first time)"
if ! debootstrap --variant=minbase --components=main --keyring="$KEYRING" \
  "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1; then
  tail -n 40 "$ROOT.log" >&2
  [[ -r $ROOT/debootstrap/debootstrap.log ]] && tail -n 40 "$ROOT/debootstrap/debootstrap.log" >&2
  die "debootstrap failed"
fi

# --- apt inside the image: the same mirror, and the host's Acquire settings -------------------------
rm -f "$ROOT/etc/apt/sources.list"
mkdir -p "$ROOT/etc/apt/sources.list.d" "$ROOT/etc/apt/apt.conf.d"
{
  # The main suite, plus -updates when it lives on the same mirror (as in the official image).
  if [[ -n $UPDATES_MIRROR && $UPDATES_MIRROR == "$MIRROR" ]]; then suites="$SUITE $SUITE-updates"; else suites=$SUITE; fi
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$MIRROR" "$suites" "$KEYRING"
  if [[ -n $UPDATES_MIRROR && $UPDATES_MIRROR != "$MIRROR" ]]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-updates\nComponents: main\nSigned-By: %s\n' "$UPDATES_MIRROR" "$SUITE" "$KEYRING"
  fi
  if [[ -n $SECURITY_MIRROR ]]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n' "$SECURITY_MIRROR" "$SUITE" "$KEYRING"
  fi
} >"$ROOT/etc/apt/sources.list.d/debian.sources"

# Settings this machine needs to reach its mirror (a proxy; a snapshot mirror whose Release files
# have expired) apply inside the image too.
apt-config dump 2>/dev/null |
  grep -E '^Acquire::((http|https|ftp)::Proxy|Check-Valid-Until|Check-Date|Retries|ForceIPv4|ForceIPv6)[ :]' \
    >"$ROOT/etc/apt/apt.conf.d/90local-mirror" || true
[[ -s $ROOT/etc/apt/apt.conf.d/90local-mirror ]] || rm -f "$ROOT/etc/apt/apt.conf.d/90local-mirror"

# The official image's apt and dpkg settings: no caches, compressed lists, no translations, and no
# docs, man pages or locales from packages installed later either.
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::GzipIndexes "true";' >"$ROOT/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Acquire::Languages "none";' >"$ROOT/etc/apt/apt.conf.d/docker-no-languages"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$ROOT/etc/apt/apt.conf.d/docker-autoremove-suggests"
mkdir -p "$ROOT/etc/dpkg/dpkg.cfg.d"
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
# Services must not start during `apt-get install` in a build.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"

# --- Slim the tree ----------------------------------------------------------------------------------
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/* "$ROOT"/var/cache/debconf/*-old \
  "$ROOT"/var/lib/dpkg/*-old "$ROOT"/var/log/* "$ROOT"/tmp/* "$ROOT"/var/tmp/* \
  "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/groff/* \
  "$ROOT"/usr/share/lintian/* "$ROOT"/usr/share/linda/* "$ROOT/debootstrap"
find "$ROOT/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$ROOT/var/lib/apt/lists/partial" "$ROOT/var/cache/apt/archives/partial"
# Docker provides these per container; the host's copies (debootstrap copies them in) do not belong
# in an image.
rm -f "$ROOT/etc/hostname" "$ROOT/etc/resolv.conf" "$ROOT/etc/machine-id"
: >"$ROOT/etc/resolv.conf"
# Anything left mounted must not end up in the archive.
for m in $(awk -v r="$ROOT/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m"; done

# --- Import ------------------------------------------------------------------------------------------
log "importing the tree as $TAG"
new_id=$(tar --numeric-owner -C "$ROOT" -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.opencontainers.image.description="Debian bookworm minbase, built locally by podguard images/local-base.sh"' \
    --message "debootstrap --variant=minbase $SUITE (images/local-base.sh)" \
    - "$TAG")
# A --force run leaves the previous image untagged; remove it when nothing else uses it.
if [[ -n $old_id && $old_id != "$new_id" ]]; then docker image rm "$old_id" >/dev/null 2>&1 || true; fi
log "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{ printf "%.1f MB", $1 / 1e6 }'))"
