#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Install the pinned manifest linters (scripts/cluster/linters.env) once per machine into
# $CDK8S_PATTERNS_CACHE/linters/<tool>@<version>/<tool>: with `go install` through the Go module
# proxy where that works, otherwise by building the exact upstream release source from
# $TOOLS_SRC_DIR (default ../shared/tools-src relative to the repository root), which must match
# the sha256 pinned in linters.env.
#
# Usage: scripts/cluster/install-linters.sh [TOOL...]   (default: kube-score kube-linter polaris)
# Prints one line per linter: "<tool> <path>" when installed, "<tool> unavailable: <reason>".
# Exits non-zero when a linter named in REQUIRED_LINTERS cannot be installed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=linters.env
. "$CLUSTER_SCRIPTS_DIR/linters.env"
need_cmd go "Go toolchain"
TOOLS_SRC_DIR="${TOOLS_SRC_DIR:-$REPO_ROOT/../shared/tools-src}"

status=0
tmp="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-patterns-linters.XXXXXX")"
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# try_go_install TOOL VERSION PACKAGE LDFLAGS DIR: true when `go install PACKAGE@VERSION` put TOOL
# into DIR. Its error output is kept in $tmp/TOOL.install.err.
try_go_install() {
  local tool="$1" version="$2" pkg="$3" ldflags="$4" dir="$5"
  (cd / && GOBIN="$dir" CGO_ENABLED=0 go_nice install -p "$BUILD_JOBS" -trimpath \
    -ldflags "-s -w $ldflags" "$pkg@$version") >"$tmp/$tool.install.err" 2>&1 && [ -x "$dir/$tool" ]
}

# build_from_source TOOL ARCHIVE SHA256 PACKAGE LDFLAGS DIR: unpack the release source (after
# checking its sha256) into a scratch directory and build PACKAGE (relative to the source root).
build_from_source() {
  local tool="$1" archive="$TOOLS_SRC_DIR/$2" sum="$3" pkg="$4" ldflags="$5" dir="$6" actual top
  if [ ! -f "$archive" ]; then
    echo "no go install and no release source at $archive" >"$tmp/$tool.build.err"; return 1
  fi
  actual="$(sha256sum "$archive" | cut -d' ' -f1)"
  if [ "$actual" != "$sum" ]; then
    echo "sha256 mismatch for $archive: expected $sum, got $actual" >"$tmp/$tool.build.err"; return 1
  fi
  mkdir -p "$tmp/$tool-src"
  tar -xzf "$archive" -C "$tmp/$tool-src"
  top="$(find "$tmp/$tool-src" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
  (cd "$top" && CGO_ENABLED=0 go_nice build -p "$BUILD_JOBS" -trimpath -ldflags "-s -w $ldflags" \
    -o "$dir/$tool.tmp" "$pkg") >"$tmp/$tool.build.err" 2>&1 || return 1
  mv "$dir/$tool.tmp" "$dir/$tool"
}

# install_tool TOOL VERSION MODULE PACKAGE LDFLAGS [ARCHIVE SHA256]
install_tool() {
  local tool="$1" version="$2" module="$3" pkg="$4" ldflags="$5" archive="${6:-}" sum="${7:-}" dir t0 target
  dir="$CACHE_ROOT/linters/$tool@$version"
  if [ -x "$dir/$tool" ]; then
    echo "$tool $dir/$tool"; return 0
  fi
  mkdir -p "$dir"
  t0="$(now_ms)"
  target="$module"; [ "$pkg" = . ] || target="$module/${pkg#./}"
  log "installing $tool $version: go install $target@$version"
  if try_go_install "$tool" "$version" "$target" "$ldflags" "$dir"; then
    log "$tool $version installed with go install in $(( ($(now_ms) - t0) / 1000 ))s"
    echo "$tool $dir/$tool"; return 0
  fi
  log "go install of $tool failed: $(grep -v '^go: downloading' "$tmp/$tool.install.err" | head -n 2 | tr '\n' ' ')"
  if [ -n "$archive" ]; then
    log "building $tool $version from the release source $archive"
    if build_from_source "$tool" "$archive" "$sum" "$pkg" "$ldflags" "$dir"; then
      log "$tool $version built from source in $(( ($(now_ms) - t0) / 1000 ))s"
      echo "$tool $dir/$tool"; return 0
    fi
    echo "$tool unavailable: $(grep -v '^go: downloading' "$tmp/$tool.build.err" | head -n 3 | tr '\n' ' ')"
  else
    echo "$tool unavailable: $(grep -v '^go: downloading' "$tmp/$tool.install.err" | head -n 3 | tr '\n' ' ')"
  fi
  rm -f "$dir/$tool.tmp"; rmdir "$dir" 2>/dev/null || true
  case " $REQUIRED_LINTERS " in *" $tool "*) status=1 ;; esac
  return 0
}

tools="${*:-kube-score kube-linter polaris}"
for tool in $tools; do
  case "$tool" in
    kube-score)
      install_tool kube-score "$KUBE_SCORE_VERSION" "$KUBE_SCORE_MODULE" ./cmd/kube-score \
        "-X main.version=${KUBE_SCORE_VERSION#v}" ;;
    kube-linter)
      install_tool kube-linter "$KUBE_LINTER_VERSION" "$KUBE_LINTER_MODULE" ./cmd/kube-linter \
        "-X golang.stackrox.io/kube-linter/internal/version.version=${KUBE_LINTER_VERSION#v}" \
        "$KUBE_LINTER_SOURCE_ARCHIVE" "$KUBE_LINTER_SOURCE_SHA256" ;;
    polaris)
      install_tool polaris "$POLARIS_VERSION" "$POLARIS_MODULE" . \
        "-X main.Version=${POLARIS_VERSION#v}" \
        "$POLARIS_SOURCE_ARCHIVE" "$POLARIS_SOURCE_SHA256" ;;
    *) die "unknown linter: $tool (kube-score, kube-linter, polaris)" ;;
  esac
done
exit "$status"
