#!/usr/bin/env bash
# Fetches the pinned upstream CRD definitions through the Go module proxy into
# scripts/cluster/crds/ (checked against the sha256 sums in scripts/cluster/crds/README.md) and
# regenerates their typed constructs under src/imports/ with `cdk8s import`.
#
# Usage: scripts/import-crds.sh          fetch, check and import
#        scripts/import-crds.sh --check  only check the committed files against the sums
set -euo pipefail
cd "$(dirname "$0")/.."

GATEWAY_API_VERSION=v1.6.3
PROMETHEUS_OPERATOR_VERSION=v0.85.0
crds=scripts/cluster/crds

check() {
  # the sums table in the README: | file | sha256 |
  grep -E '^\| `[^`]+\.yaml` \| [0-9a-f]{64} \|' "$crds/README.md" |
    sed -E 's/^\| `([^`]+)` \| ([0-9a-f]{64}) \|.*/\2  \1/' |
    (cd "$crds" && sha256sum --check --quiet)
}

if [ "${1:-}" = "--check" ]; then
  check
  exit 0
fi

command -v go >/dev/null || { echo "go is needed to download the modules" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
moddir() { (cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))'); }

gw="$(moddir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")/config/crd/standard"
po="$(moddir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")/example/prometheus-operator-crd"
for f in gateway.networking.k8s.io_httproutes gateway.networking.k8s.io_referencegrants; do
  install -m 0644 "$gw/$f.yaml" "$crds/$f.yaml"
done
for f in monitoring.coreos.com_servicemonitors monitoring.coreos.com_podmonitors monitoring.coreos.com_prometheusrules; do
  install -m 0644 "$po/$f.yaml" "$crds/$f.yaml"
done
check

rm -rf src/imports
for f in "$crds"/*.yaml; do
  base="$(basename "$f" .yaml)"
  case "$base" in
    gateway.*) module="gateway-${base#*_}" ;;
    *) module="monitoring-${base#*_}" ;;
  esac
  npx cdk8s import --check-upgrade=false --save=false --language typescript --output src/imports "$module:=$f" >/dev/null
done
echo "imported: $(ls src/imports | tr '\n' ' ')"
