#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build or reuse everything the single-node cluster needs, cached per machine: the Kubernetes
# binaries and CoreDNS (build-binaries.sh), then every image of images.env (build-image.sh).
# With everything cached this takes seconds; a cold machine needs about 15 to 30 minutes.
#
# Usage: scripts/node/prepare.sh [all|binaries|images]
#   binaries: only the Go builds; images: only the images (mostly downloads and unpacking, so CI
#   builds them while the Go builds keep both cores busy); all (the default): both.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

what="${1:-all}"
case "$what" in all | binaries | images) ;; *) die "usage: $0 [all|binaries|images], got $what" ;; esac

t0="$(now_ms)"
if [ "$what" != images ]; then
  "$NODE_SCRIPTS_DIR/build-binaries.sh"
  log "binaries ready ($(( ($(now_ms) - t0) / 1000 ))s)"
fi
if [ "$what" != binaries ]; then
  for ref in $(sed -n 's/^[A-Z0-9_]*_IMAGE[A-Z0-9_]*=//p' "$NODE_SCRIPTS_DIR/images.env" | sort -u); do
    t1="$(now_ms)"
    "$NODE_SCRIPTS_DIR/build-image.sh" "${ref#localhost/}" >/dev/null
    log "image $ref ready ($(( ($(now_ms) - t1) / 1000 ))s)"
  done
fi
log "node prepared ($what) in $(( ($(now_ms) - t0) / 1000 ))s"
