#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Resolve Kubernetes version specs through the Go module proxy and print X.Y.Z, one per line.
#
# Usage: scripts/cluster/resolve-version.sh SPEC...
#   SPEC: latest (newest non-prerelease release), X.Y (its newest non-prerelease patch), X.Y.Z.
# Compare with the pins in scripts/cluster/versions.env.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || die "usage: $0 SPEC... (latest, X.Y or X.Y.Z)"
need_cmd go
for spec in "$@"; do
  resolve_k8s_version "$spec"
done
