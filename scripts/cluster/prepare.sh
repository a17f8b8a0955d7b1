#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build or reuse everything the cluster suite and the manifest linters need: one kube-apiserver
# per pinned version (scripts/cluster/versions.env, one build at a time), the pinned linters and
# promtool (scripts/install-promtool.sh).
# Cached binaries make this take a second; a cold machine needs 10 to 25 minutes per version.
#
# Usage: scripts/cluster/prepare.sh
# Needs the Debian packages etcd-server and openssl (see scripts/install-test-deps.sh).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=versions.env
. "$CLUSTER_SCRIPTS_DIR/versions.env"

need_cmd etcd "Debian package etcd-server"
need_cmd openssl
for v in ${KUBE_VERSIONS}; do
  t0="$(now_ms)"
  "$CLUSTER_SCRIPTS_DIR/build-apiserver.sh" "$v" >/dev/null
  log "kube-apiserver $v ready ($(( ($(now_ms) - t0) / 1000 ))s)"
done
"$CLUSTER_SCRIPTS_DIR/install-linters.sh"
# promtool for the alert-rule tests of `npm test` (scripts/install-promtool.sh)
t0="$(now_ms)"
"$REPO_ROOT/scripts/install-promtool.sh" >/dev/null
log "promtool ready ($(( ($(now_ms) - t0) / 1000 ))s)"
