#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build or reuse (cached per machine and version) every binary of the single-node cluster:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl from
# the k8s.io/kubernetes module (scripts/cluster/build-k8s-binary.sh), and CoreDNS from its module.
# One build at a time; with a warm Go build cache every component after the first mostly links.
#
# Usage: scripts/node/build-binaries.sh   (versions: scripts/node/versions.env)
set -euo pipefail
# shellcheck source=../cluster/lib.sh
. "$(dirname "$0")/../cluster/lib.sh"
# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"

need_cmd go "Go toolchain"
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
  t0="$(now_ms)"
  "$CLUSTER_SCRIPTS_DIR/build-k8s-binary.sh" "$NODE_KUBE_VERSION" "$c" >/dev/null
  log "$c v$NODE_KUBE_VERSION ready ($(( ($(now_ms) - t0) / 1000 ))s)"
done

coredns="$CACHE_ROOT/coredns/$COREDNS_VERSION/coredns"
mkdir -p "$(dirname "$coredns")"
exec 9>"$(dirname "$coredns")/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -x "$coredns" ] && "$coredns" -version 2>/dev/null | grep -q "CoreDNS-$COREDNS_VERSION"; then
  log "cached coredns v$COREDNS_VERSION"
else
  t0="$(now_ms)"
  gobin="$(mktemp -d "${TMPDIR:-/tmp}/coredns-build.XXXXXX")"
  trap 'rm -rf "$gobin"' EXIT
  (cd / && CGO_ENABLED=0 GOBIN="$gobin" go_nice install -p "$BUILD_JOBS" -trimpath -ldflags "-s -w" \
    "github.com/coredns/coredns@v$COREDNS_VERSION") >&2
  mv -f "$gobin/coredns" "$coredns"
  "$coredns" -version | grep -q "CoreDNS-$COREDNS_VERSION" || die "built coredns does not report $COREDNS_VERSION"
  log "built coredns v$COREDNS_VERSION in $(( ($(now_ms) - t0) / 1000 ))s"
fi
