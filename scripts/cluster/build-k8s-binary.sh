#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build (once per machine) one Kubernetes component for one Kubernetes version from the
# k8s.io/kubernetes Go module, and print the path of the cached binary on stdout.
#
# Usage: scripts/cluster/build-k8s-binary.sh VERSION [COMPONENT]
#   VERSION: X.Y.Z (e.g. 1.27.16), X.Y (newest patch of that minor) or "latest" (newest release).
#   COMPONENT: a command under k8s.io/kubernetes/cmd: kube-apiserver (default),
#              kube-controller-manager, kube-scheduler, kubelet, kube-proxy or kubectl.
#
# The binary is cached at $CDK8S_PATTERNS_CACHE/COMPONENT/X.Y.Z/COMPONENT
# (default cache: ${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-patterns; KUBE_APISERVER_CACHE still
# overrides the kube-apiserver directory). Every component shares the Go build cache, so after
# the first one the others mostly link.
# k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/apiserver, ...) at v0.0.0
# and replaces them with ./staging paths that do not exist outside its repository, so the build
# uses a throwaway module whose replace directives pin each of them to v0.Y.Z.
#
# Environment: BUILD_JOBS (default 2) limits build parallelism; BUILD_NICE (default 10);
# FORCE_REBUILD=1 ignores the cache; CI=true only changes logging here.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 VERSION [COMPONENT] (VERSION: X.Y.Z, X.Y or latest)"
component="${2:-kube-apiserver}"
case "$component" in
  kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy | kubectl) ;;
  *) die "component must be one of kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl, got $component" ;;
esac
need_cmd go "Go toolchain"

version="$(resolve_k8s_version "$1")"
minor="${version#*.}"; minor="${minor%%.*}"
patch="${version##*.}"
bin="$(k8s_bin "$component" "$version")"

# One build per version at a time on this machine: a second caller waits, then finds the cache.
mkdir -p "$(dirname "$bin")"
exec 9>"$(dirname "$bin")/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if [ -x "$bin" ] && [ "${FORCE_REBUILD:-0}" != 1 ]; then
  if binary_reports_version "$bin" "$version"; then
    log "cached $component v$version"
    echo "$bin"; exit 0
  fi
  log "cached binary at $bin does not report v$version, rebuilding"
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/$component-build.XXXXXX")"
trap 'rm -rf "$workdir"' EXIT

start="$(now_ms)"
log "building $component v$version (parallelism $BUILD_JOBS) in $workdir"

# 1. The kubernetes module's go.mod lists the staging modules as "k8s.io/<name> v0.0.0".
if ! info_json="$(cd "$workdir" && GOTOOLCHAIN=local go mod download -json "k8s.io/kubernetes@v$version")"; then
  die "cannot download k8s.io/kubernetes@v$version: $(printf '%s\n' "$info_json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')"
fi
gomod="$(printf '%s\n' "$info_json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
commit="$(printf '%s\n' "$info_json" | sed -n 's/^[[:space:]]*"Hash": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)"
[ -f "$gomod" ] || die "could not download k8s.io/kubernetes@v$version go.mod"
staging="$(grep -E '^[[:space:]]+k8s\.io/[A-Za-z0-9._-]+ v0\.0\.0([[:space:]]|$)' "$gomod" | awk '{print $1}' | sort -u)"
[ -n "$staging" ] || die "no k8s.io/* v0.0.0 requirements found in k8s.io/kubernetes@v$version go.mod"
go_directive="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$gomod" | head -n 1)"

# 2. Throwaway module: require kubernetes, pin every staging module to v0.<minor>.<patch>.
{
  echo "module cdk8s-patterns.invalid/k8s-build"
  echo
  echo "go ${go_directive:-1.20}"
  echo
  echo "require k8s.io/kubernetes v$version"
  echo
  echo "replace ("
  for m in $staging; do
    printf '\t%s => %s v0.%s.%s\n' "$m" "$m" "$minor" "$patch"
  done
  echo ")"
} >"$workdir/go.mod"
log "pinned $(printf '%s\n' "$staging" | wc -l | tr -d ' ') staging modules to v0.$minor.$patch"

export CGO_ENABLED=0 GOFLAGS="-mod=mod"
# The staging modules are published from the kubernetes repository's staging/ tree at the same
# tag as k8s.io/kubernetes (which is verified as usual). The checksum database does not always
# answer for them through a module mirror, so only they skip it; every other module is verified.
GONOSUMDB="$(printf '%s\n' "$staging" | paste -sd, -)${GONOSUMDB:+,$GONOSUMDB}"
export GONOSUMDB
(cd "$workdir" && go_nice get "k8s.io/kubernetes/cmd/$component@v$version") >&2

# 3. Build. Version variables are normally stamped by the kubernetes Makefile.
pkg=k8s.io/component-base/version
ldflags="-s -w"
for p in "$pkg" k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $p.gitVersion=v$version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags="$ldflags -X $p.gitCommit=${commit:-unknown} -X $p.gitTreeState=clean"
  ldflags="$ldflags -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done
mkdir -p "$(dirname "$bin")"
(cd "$workdir" && go_nice build -p "$BUILD_JOBS" -trimpath -ldflags "$ldflags" \
  -o "$bin.tmp" "k8s.io/kubernetes/cmd/$component") >&2
mv -f "$bin.tmp" "$bin"

binary_reports_version "$bin" "$version" || die "built $component does not report v$version"
log "built $component v$version in $(( ($(now_ms) - start) / 1000 ))s -> $bin"
echo "$bin"
