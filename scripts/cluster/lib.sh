# shellcheck shell=bash
# Shared helpers for the cluster and linter scripts. Source it; do not execute it.
#
# Environment:
#   CDK8S_PATTERNS_CACHE   cache root for built binaries
#                          (default: ${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-patterns)
#   CI                     "true" turns every missing tool into a failure instead of a build/skip

CLUSTER_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT="$(cd "$CLUSTER_SCRIPTS_DIR/../.." && pwd)"
CACHE_ROOT="${CDK8S_PATTERNS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-patterns}"
# Go builds share the machine: keep them gentle unless the caller says otherwise.
BUILD_JOBS="${BUILD_JOBS:-2}"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_ci() { [ "${CI:-}" = "true" ]; }

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "required command not found: $1${2:+ ($2)}"
}

# now_ms: wall clock in milliseconds (for timings).
now_ms() { date +%s%3N; }

# Run a Go build step politely on a shared machine.
go_nice() {
  GOMAXPROCS="${GOMAXPROCS:-$BUILD_JOBS}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}" nice -n "${BUILD_NICE:-10}" go "$@"
}

# Strip a leading "v".
strip_v() { printf '%s\n' "${1#v}"; }

# go_module_exists MODULE VERSION: true when the Go module proxy serves MODULE@VERSION's source
# zip (a proxy can list a version, or serve its go.mod, and still not serve the source).
go_module_exists() {
  local proxy escaped
  proxy="$(go env GOPROXY | tr ',|' '\n' | grep -E '^https?://' | head -n 1 || true)"
  if [ -n "$proxy" ]; then
    # Module paths are case-encoded on the proxy: an upper-case letter becomes "!" + lower case.
    escaped="$(printf '%s' "$1" | sed -e 's/[A-Z]/!&/g' | tr '[:upper:]' '[:lower:]')"
    curl -fsIL -o /dev/null "${proxy%/}/$escaped/@v/$2.zip"
  else
    (cd / && GOTOOLCHAIN=local go list -m -json "$1@$2") >/dev/null 2>&1
  fi
}

# known_k8s_releases: every non-prerelease Kubernetes version (vX.Y.Z) the module proxy lists,
# from k8s.io/kubernetes and from the staging module k8s.io/api (v0.Y.Z <-> v1.Y.Z).
known_k8s_releases() {
  {
    (cd / && GOTOOLCHAIN=local go list -m -versions k8s.io/kubernetes) | tr ' ' '\n' | grep '^v1\.'
    (cd / && GOTOOLCHAIN=local go list -m -versions k8s.io/api) | tr ' ' '\n' | grep '^v0\.' | sed 's/^v0\./v1./'
  } | grep -E '^v1\.[0-9]+\.[0-9]+$' | sort -u -V
}

# resolve_k8s_version SPEC -> X.Y.Z on stdout
#   SPEC: "latest" (newest release), "1.27" (newest 1.27 patch) or an exact "1.27.16"/"v1.27.16".
# The proxy's version list can be incomplete (it lists what it has seen), so after taking the
# newest listed version the resolver probes the following patch (and minor) versions directly,
# tolerating gaps of up to RESOLVE_PATCH_GAP missing patches.
resolve_k8s_version() {
  local spec="${1#v}" known minor best patch misses gap="${RESOLVE_PATCH_GAP:-16}" next
  if [[ "$spec" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    go_module_exists k8s.io/kubernetes "v$spec" || die "k8s.io/kubernetes@v$spec is not available from the Go module proxy"
    echo "$spec"; return
  fi
  known="$(known_k8s_releases)"
  if [ "$spec" = latest ]; then
    best="$(printf '%s\n' "$known" | tail -n 1)"
    [ -n "$best" ] || die "the Go module proxy lists no Kubernetes release"
    minor="$(echo "$best" | cut -d. -f1,2 | sed 's/^v//')"
    # A newer minor than the list knows? Probe X.(Y+1).0 upwards.
    while next="1.$(( ${minor#1.} + 1 ))" && go_module_exists k8s.io/kubernetes "v$next.0"; do
      minor="$next"; best="v$next.0"
    done
  elif [[ "$spec" =~ ^[0-9]+\.[0-9]+$ ]]; then
    minor="$spec"
    best="$(printf '%s\n' "$known" | grep -F "v$minor." | tail -n 1 || true)"
    if [ -z "$best" ]; then
      go_module_exists k8s.io/kubernetes "v$minor.0" || die "no Kubernetes $minor release found on the Go module proxy"
      best="v$minor.0"
    fi
  else
    die "version spec must be latest, X.Y or X.Y.Z, got $1"
  fi
  patch="${best##*.}"; misses=0; next="$patch"
  while [ "$misses" -lt "$gap" ]; do
    next=$(( next + 1 ))
    if go_module_exists k8s.io/kubernetes "v$minor.$next"; then patch="$next"; misses=0; else misses=$(( misses + 1 )); fi
  done
  # The chosen version must itself be fetchable.
  while ! go_module_exists k8s.io/kubernetes "v$minor.$patch"; do
    [ "$patch" -gt 0 ] || die "no fetchable Kubernetes $minor release on the Go module proxy"
    patch=$(( patch - 1 ))
  done
  echo "$minor.$patch"
}

# Path of the cached Kubernetes COMPONENT (kube-apiserver, kubelet, kubectl, ...) for VERSION (X.Y.Z).
k8s_bin() {
  local dir="$CACHE_ROOT/$1"
  if [ "$1" = kube-apiserver ] && [ -n "${KUBE_APISERVER_CACHE:-}" ]; then dir="$KUBE_APISERVER_CACHE"; fi
  echo "$dir/$(strip_v "$2")/$1"
}

# Path of the cached kube-apiserver for VERSION (X.Y.Z).
apiserver_bin() { k8s_bin kube-apiserver "$1"; }

# binary_reports_version BINARY VERSION: true when a Kubernetes binary says it is vVERSION.
binary_reports_version() {
  local out
  case "$(basename "$1")" in
    kubectl) out="$("$1" version --client -o json 2>/dev/null | sed -n 's/^ *"gitVersion": "\(.*\)",$/\1/p' | head -n 1)" ;;
    *) out="$("$1" --version 2>/dev/null | sed -n 's/^Kubernetes //p')" ;;
  esac
  [ "$out" = "v$(strip_v "$2")" ]
}

# collect_manifest_files PATH...: sets the array `files` to every *.yaml/*.yml file under the given
# files or directories (relative to the repository root unless absolute), sorted.
collect_manifest_files() {
  files=()
  local p abs f
  for p in "$@"; do
    case "$p" in /*) abs="$p" ;; *) abs="$REPO_ROOT/$p" ;; esac
    if [ -d "$abs" ]; then
      while IFS= read -r f; do files+=("$f"); done < <(find "$abs" -type f \( -name '*.yaml' -o -name '*.yml' \) | LC_ALL=C sort)
    elif [ -f "$abs" ]; then
      files+=("$abs")
    else
      log "note: $p does not exist"
    fi
  done
}
