#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Install the pinned manifest linters (scripts/cluster/linters.env) with `go install` through the
# Go module proxy, once per machine, into $CDK8S_PATTERNS_CACHE/linters/<tool>@<version>/.
#
# Usage: scripts/cluster/install-linters.sh
# Prints one line per linter: "<tool> <path>" when installed, "<tool> unavailable: <reason>".
# Exits non-zero when a linter named in REQUIRED_LINTERS cannot be installed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=linters.env
. "$CLUSTER_SCRIPTS_DIR/linters.env"
need_cmd go "Go toolchain"

status=0
install_tool() { # TOOL VERSION PACKAGE LDFLAGS
  local tool="$1" version="$2" pkg="$3" ldflags="$4" dir err
  dir="$CACHE_ROOT/linters/$tool@$version"
  if [ -x "$dir/$tool" ]; then
    echo "$tool $dir/$tool"; return 0
  fi
  log "installing $tool $version ($pkg)"
  mkdir -p "$dir"
  err="$(mktemp)"
  # -ldflags: record the version where the tool reads it (go install skips release ldflags).
  if (cd / && GOBIN="$dir" CGO_ENABLED=0 go_nice install -p "$BUILD_JOBS" -trimpath \
      -ldflags "-s -w $ldflags" "$pkg@$version") >"$err" 2>&1; then
    rm -f "$err"
    echo "$tool $dir/$tool"; return 0
  fi
  rmdir "$dir" 2>/dev/null || true
  echo "$tool unavailable: $(grep -v '^go: downloading' "$err" | head -n 3 | tr '\n' ' ')"
  rm -f "$err"
  case " $REQUIRED_LINTERS " in *" $tool "*) status=1 ;; esac
  return 0
}

install_tool kube-score "$KUBE_SCORE_VERSION" "$KUBE_SCORE_MODULE/cmd/kube-score" \
  "-X main.version=${KUBE_SCORE_VERSION#v}"
install_tool kube-linter "$KUBE_LINTER_VERSION" "$KUBE_LINTER_MODULE/cmd/kube-linter" \
  "-X golang.stackrox.io/kube-linter/internal/version.version=${KUBE_LINTER_VERSION#v}"
echo "polaris unavailable: not installable with go install (module path has no /vN suffix for its v8+ tags)"
exit "$status"
