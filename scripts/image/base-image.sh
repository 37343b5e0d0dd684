#!/usr/bin/env bash
# Makes the Dockerfile's base image (debian:bookworm-slim) on a machine with no image registry:
# debootstrap (minbase) from the Debian mirror apt already uses, trimmed like the official slim image,
# imported into podman under the same name the Dockerfile's FROM uses. The tarball is cached in
# $LAP_IMAGE_CACHE (default /var/cache/lap-image) so a machine builds it once; an image already in
# podman's storage under that name (made here earlier, or pulled where a registry is reachable) is used as is.
#   scripts/image/base-image.sh            # prints the image name when it is ready
#   LAP_BASE_REFRESH=1 scripts/image/base-image.sh   # rebuild the cached tarball now (it is after 30 days anyway)
set -euo pipefail

SUITE=bookworm
IMAGE="docker.io/library/debian:${SUITE}-slim"
CACHE="${LAP_IMAGE_CACHE:-/var/cache/lap-image}"
TARBALL="$CACHE/debian-${SUITE}-minbase.tar"
log() { echo "[base-image] $*" >&2; }

# Like the official image, which is rebuilt monthly: a tarball older than 30 days is made again.
if [ -f "$TARBALL" ] && [ -n "$(find "$TARBALL" -mtime +30 2>/dev/null)" ]; then LAP_BASE_REFRESH=1; fi
if [ "${LAP_BASE_REFRESH:-}" = 1 ]; then
  rm -f "$TARBALL"
  podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
fi
if podman image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi

# The mirror apt uses on this machine (deb822 sources first, then sources.list); Debian's CDN otherwise.
mirror() {
  local m
  m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/debian.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

if [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install -y debootstrap)"; exit 1; }
  mkdir -p "$CACHE"
  ROOTFS=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$ROOTFS"' EXIT
  MIRROR=$(mirror)
  log "debootstrap --variant=minbase $SUITE from $MIRROR (once per machine; cached in $TARBALL)"
  debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
    tail -20 "$CACHE/debootstrap.log" >&2
    exit 1
  }
  # As the official slim image: no docs, man pages or translations installed by later apt-get runs,
  # apt lists and caches cleaned, and the same three suites (security updates included) in deb822 form.
  cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
  rm -f "$ROOTFS/etc/apt/sources.list"
  cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<CFG
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
CFG
  find "$ROOTFS/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin \
    "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/log/* "$ROOTFS"/tmp/*
  find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  tar --numeric-owner --xattrs -C "$ROOTFS" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$ROOTFS"
  trap - EXIT
fi

log "importing $TARBALL as $IMAGE"
podman import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$TARBALL" "$IMAGE" >/dev/null
echo "$IMAGE"
