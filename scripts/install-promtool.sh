#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build promtool from the pinned Prometheus Go module once per machine, into
# $CDK8S_PATTERNS_CACHE/promtool@<version>/promtool. The alert-rule tests run it
# (`promtool check rules`, `promtool test rules`) on every PrometheusRule we synthesize.
#
# Usage: scripts/install-promtool.sh    Prints the path of promtool on stdout.
# A cold build takes several minutes on two cores; a cached one returns at once.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/cluster/lib.sh"

# Prometheus publishes its Go module as v0.<major><minor>.<patch>: v0.316.0 is Prometheus 3.16.0.
PROMETHEUS_MODULE=github.com/prometheus/prometheus
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"

need_cmd go "Go toolchain"
dir="$CACHE_ROOT/promtool@$PROMETHEUS_VERSION"
if [ -x "$dir/promtool" ]; then
  echo "$dir/promtool"
  exit 0
fi
mkdir -p "$dir"
t0="$(now_ms)"
log "building promtool from $PROMETHEUS_MODULE@$PROMETHEUS_VERSION"
err="$(mktemp "${TMPDIR:-/tmp}/promtool-build.XXXXXX")"
trap 'rm -f "$err"' EXIT
if ! (cd / && GOBIN="$dir" CGO_ENABLED=0 go_nice install -p "$BUILD_JOBS" -trimpath -ldflags "-s -w" \
  "$PROMETHEUS_MODULE/cmd/promtool@$PROMETHEUS_VERSION") >"$err" 2>&1; then
  grep -v '^go: downloading' "$err" | tail -n 20 >&2
  rmdir "$dir" 2>/dev/null || true
  die "promtool build failed"
fi
log "promtool $PROMETHEUS_VERSION built in $(( ($(now_ms) - t0) / 1000 ))s"
"$dir/promtool" --version >&2
echo "$dir/promtool"
