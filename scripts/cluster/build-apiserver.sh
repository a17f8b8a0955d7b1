#!/usr/bin/env bash
# Build (once per machine) kube-apiserver for one Kubernetes version and print the cached path.
# Usage: scripts/cluster/build-apiserver.sh VERSION (see build-k8s-binary.sh)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 VERSION (X.Y.Z, X.Y or latest)" >&2; exit 1; }
exec "$(dirname "$0")/build-k8s-binary.sh" "$1" kube-apiserver
