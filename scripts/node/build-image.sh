#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build (once per machine) one container image of the single-node cluster, without a registry,
# from its description in scripts/node/images/NAME.image, and print the path of the cached OCI
# archive (importable with `ctr images import`, or `docker load`/`podman load`).
#
# Usage: scripts/node/build-image.sh NAME[:TAG]
#   IMAGE_CACHED_ONLY=1: fail instead of building when the image is not cached.
#
# A description is a bash file that sets (the Dockerfile it stands for in brackets):
#   FROM        debian (a root filesystem made by mmdebstrap from this machine's apt sources),
#               busybox (busybox-static and its applets) or scratch                      [FROM]
#   SUITE       Debian suite of FROM=debian (default bookworm)
#   PACKAGES    Debian packages; NAME/trixie takes one from trixie, everything else comes
#               from SUITE (apt's default release)                                       [RUN apt-get install]
#   TAG         image tag                                                                 [docker build -t]
#   USER WORKDIR STOPSIGNAL, arrays ENV ENTRYPOINT CMD                                     [same names]
#   setup()     optional function run on the host with ROOTFS set, after the packages    [RUN, COPY]
# The cache key is the hash of the description, IMAGE_FORMAT and BUILD_INPUTS (set by the
# description: versions of what it copies in), so a changed description rebuilds its image.
set -euo pipefail
# shellcheck source=../cluster/lib.sh
. "$(dirname "$0")/../cluster/lib.sh"
# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"
NODE_SCRIPTS_DIR="$(cd "$(dirname "$0")" && pwd)"

[ $# -eq 1 ] || die "usage: $0 NAME[:TAG] (one of: $(cd "$NODE_SCRIPTS_DIR/images" && ls -- *.image | sed 's/\.image$//' | paste -sd' '))"
name="${1%%:*}"
REQUESTED_TAG=""
case "$1" in *:*) REQUESTED_TAG="${1#*:}" ;; esac
desc="$NODE_SCRIPTS_DIR/images/$name.image"
[ -f "$desc" ] || die "no image description $desc"

# Helpers a description's setup() may call.
# k8s_source_dir: the k8s.io/kubernetes module source of NODE_KUBE_VERSION (Go module cache).
k8s_source_dir() {
  (cd / && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$NODE_KUBE_VERSION") |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
# install_busybox DIR: a static busybox at DIR/bin with every applet linked beside it.
install_busybox() {
  local bb
  bb="$(command -v busybox)" || die "busybox not found (Debian package busybox-static)"
  file -L "$bb" 2>/dev/null | grep -q 'statically linked' || die "$bb is not static (install busybox-static)"
  mkdir -p "$1/bin" "$1/usr/bin" "$1/sbin" "$1/usr/sbin" "$1/tmp" "$1/etc"
  chmod 1777 "$1/tmp"
  cp "$bb" "$1/bin/busybox"
  local applet
  for applet in $("$bb" --list); do
    [ -e "$1/bin/$applet" ] || ln -s busybox "$1/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}
# debian_sources SUITE: one-line apt sources for SUITE, SUITE-updates and SUITE-security taken from
# this machine's apt configuration (no mirror name is written into the repository).
debian_sources() {
  local main security
  main="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' | awk '$2 ~ /^[a-z]+$/ {print $1; exit}')"
  security="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' | awk '$2 ~ /-security$/ {print $1; exit}')"
  [ -n "$main" ] || die "no Debian archive in this machine's apt sources"
  echo "deb ${main%/} $1 main"
  echo "deb ${main%/} $1-updates main"
  if [ -n "$security" ]; then echo "deb ${security%/} $1-security main"; fi
}

FROM="" SUITE=bookworm PACKAGES="" TAG="" USER="" WORKDIR="" STOPSIGNAL="" BUILD_INPUTS=""
ENV=() ENTRYPOINT=() CMD=()
# shellcheck source=/dev/null
. "$desc"
[ -n "$FROM" ] && [ -n "$TAG" ] || die "$desc must set FROM and TAG"
[ -z "$REQUESTED_TAG" ] || [ "$REQUESTED_TAG" = "$TAG" ] || die "$desc builds tag $TAG, not $REQUESTED_TAG"

# Bump IMAGE_FORMAT when a change of this script changes what it produces.
IMAGE_FORMAT=1
key="$(cat "$desc" <(printf '%s\n' "$IMAGE_FORMAT" "$BUILD_INPUTS") | sha256sum | cut -c1-16)"
cache="$CACHE_ROOT/images/$name"
archive="$cache/$name-$TAG-$key.oci.tar"
mkdir -p "$cache"
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -s "$archive" ] && [ "${FORCE_REBUILD:-0}" != 1 ]; then
  log "cached image $name:$TAG ($archive)"
  echo "$archive"; exit 0
fi

[ "${IMAGE_CACHED_ONLY:-0}" != 1 ] || die "image $name:$TAG is not built ($archive)"
need_cmd umoci "Debian package umoci"
start="$(now_ms)"
work="$(mktemp -d "${TMPDIR:-/tmp}/image-$name.XXXXXX")"
cleanup() {
  # mmdebstrap mounts /proc, /sys and /dev inside the root file system while it runs
  local mounts
  mounts="$(findmnt -rn -o TARGET | grep -F "$work/" | sort -r || true)"
  if [ -n "$mounts" ]; then
    while IFS= read -r m; do umount -l "$m" || true; done <<<"$mounts"
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
ROOTFS="$work/rootfs"
mkdir -p "$ROOTFS"
log "building image $name:$TAG from $FROM"

case "$FROM" in
  debian)
    need_cmd mmdebstrap "Debian package mmdebstrap"
    sources=()
    while IFS= read -r l; do sources+=("$l"); done < <(debian_sources "$SUITE")
    if printf '%s\n' "$PACKAGES" | tr ' ' '\n' | grep -q '/trixie$' && [ "$SUITE" != trixie ]; then
      while IFS= read -r l; do sources+=("$l"); done < <(debian_sources trixie)
    fi
    nice -n "${BUILD_NICE:-10}" mmdebstrap --variant=essential --mode=root --format=directory \
      --include="$(printf '%s' "$PACKAGES" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')" \
      --aptopt="APT::Default-Release \"$SUITE\"" \
      --aptopt='APT::Install-Recommends "false"' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
      "$SUITE" "$ROOTFS" "${sources[@]}" >&2
    ;;
  busybox) install_busybox "$ROOTFS" ;;
  scratch) ;;
  *) die "FROM must be debian, busybox or scratch, got $FROM" ;;
esac
if declare -F setup >/dev/null; then ROOTFS="$ROOTFS" setup; fi

# Pack the root filesystem as one layer and write the image configuration.
layout="$work/oci"
umoci init --layout "$layout"
umoci new --image "$layout:$TAG"
tar --numeric-owner --xattrs --sort=name -C "$ROOTFS" -cf "$work/layer.tar" .
umoci raw add-layer --image "$layout:$TAG" "$work/layer.tar"
cfg=(--image "$layout:$TAG" --author cdk8s-patterns --os linux --architecture amd64)
if [ -n "$USER" ]; then cfg+=(--config.user "$USER"); fi
if [ -n "$WORKDIR" ]; then cfg+=(--config.workingdir "$WORKDIR"); fi
if [ -n "$STOPSIGNAL" ]; then cfg+=(--config.stopsignal "$STOPSIGNAL"); fi
for e in "${ENV[@]}"; do cfg+=(--config.env "$e"); done
for e in "${ENTRYPOINT[@]}"; do cfg+=(--config.entrypoint "$e"); done
for e in "${CMD[@]}"; do cfg+=(--config.cmd "$e"); done
umoci config "${cfg[@]}"
umoci gc --layout "$layout"
tar -C "$layout" -cf "$archive.tmp" oci-layout index.json blobs
mv -f "$archive.tmp" "$archive"
find "$cache" -name "$name-$TAG-*.oci.tar" ! -path "$archive" -delete
log "built image $name:$TAG in $(( ($(now_ms) - start) / 1000 ))s ($(du -h "$archive" | cut -f1)) -> $archive"
echo "$archive"
