#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Lint the synthesized manifests with kube-score, kube-linter and Polaris.
#
# Usage: scripts/cluster/lint-manifests.sh [PATH...]
#   PATH: files or directories (default: $MANIFEST_PATHS, else "dist build/test-manifests",
#   relative to the repository root). Each YAML file is linted on its own: a dist/ file is one
#   app, a build/test-manifests/ file holds the objects of one test file, so cross-object checks
#   (Service -> pods, PDB -> Deployment, HPA -> Deployment) only see related objects.
#
# Test manifests (files under a test-manifests/ directory) also hold the scaffolding tests
# build around a construct (a bare Pod to exercise a helper, a ConfigMap to reference); only
# their objects labelled LINT_TEST_SELECTOR (default app.kubernetes.io/managed-by=cdk8s-patterns,
# the label every construct sets; empty = all objects) are linted. dist/ is linted whole.
#
# Gates:
#   kube-score   `score --output-format ci`: any [CRITICAL] line fails (LINT_VERBOSE=1 also
#                lists the warnings, which do not fail).
#   kube-linter  `lint` with its default checks: any finding fails.
#   kube-linter default checks, ported (kube-linter-defaults.js): any finding fails; always run.
#   Polaris      `audit --set-exit-code-on-danger`: any danger-level finding fails.
# A self-test first checks that kube-score (and kube-linter) flag selftest/lint-critical.yaml.
# Linters come from scripts/cluster/install-linters.sh (pinned in linters.env), or from the
# KUBE_SCORE, KUBE_LINTER, POLARIS variables. A missing linter named in REQUIRED_LINTERS fails
# the run; outside CI the script installs missing ones first. Other missing linters are
# reported as unavailable.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=linters.env
. "$CLUSTER_SCRIPTS_DIR/linters.env"

cached() { local p="$CACHE_ROOT/linters/$1@$2/$1"; if [ -x "$p" ]; then echo "$p"; fi; }
locate() { # TOOL VERSION OVERRIDE
  if [ -n "$3" ]; then echo "$3"; return; fi
  local p; p="$(cached "$1" "$2")"
  if [ -z "$p" ]; then p="$(command -v "$1" || true)"; fi
  echo "$p"
}
find_linters() {
  kube_score="$(locate kube-score "$KUBE_SCORE_VERSION" "${KUBE_SCORE:-}")"
  kube_linter="$(locate kube-linter "$KUBE_LINTER_VERSION" "${KUBE_LINTER:-}")"
  polaris="${POLARIS:-$(command -v polaris || true)}"
}
find_linters
if [ -z "$kube_score" ] || { [ -z "$kube_linter" ] && [ ! -e "$CACHE_ROOT/linters/.kube-linter-$KUBE_LINTER_VERSION-unavailable" ]; }; then
  if ! is_ci; then
    log "installing missing linters"
    "$CLUSTER_SCRIPTS_DIR/install-linters.sh" >&2 || true
    find_linters
    # Do not retry an optional linter the module proxy does not serve on every run.
    if [ -z "$kube_linter" ]; then mkdir -p "$CACHE_ROOT/linters" && touch "$CACHE_ROOT/linters/.kube-linter-$KUBE_LINTER_VERSION-unavailable"; fi
  fi
fi
missing_required=0
for tool in $REQUIRED_LINTERS; do
  case "$tool" in
    kube-score) [ -n "$kube_score" ] || { log "error: kube-score $KUBE_SCORE_VERSION is not installed (scripts/cluster/install-linters.sh)"; missing_required=1; } ;;
    kube-linter) [ -n "$kube_linter" ] || { log "error: kube-linter $KUBE_LINTER_VERSION is not installed (scripts/cluster/install-linters.sh)"; missing_required=1; } ;;
    polaris) [ -n "$polaris" ] || { log "error: polaris is not installed (set POLARIS)"; missing_required=1; } ;;
  esac
done
[ "$missing_required" = 0 ] || exit 1
[ -n "$kube_linter" ] || log "note: the kube-linter binary is unavailable on this machine (see linters.env); its default checks run through the port scripts/cluster/kube-linter-defaults.js"
[ -n "$polaris" ] || log "note: polaris unavailable on this machine (see linters.env); its checks are not run"

if [ $# -gt 0 ]; then paths="$*"; else paths="${MANIFEST_PATHS:-dist build/test-manifests}"; fi
# shellcheck disable=SC2086 # the paths are a space-separated list
collect_manifest_files $paths
if [ ${#files[@]} -eq 0 ]; then
  is_ci && die "no manifests found in $paths: run the synth and the jest suite first"
  log "warning: no manifests found in $paths"
  echo "lint: 0 passed, 0 failed"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-patterns-lint.XXXXXX")"
trap 'rm -rf "$work"' EXIT
indent() { sed 's/^/    /'; }

# kube-score's ci format does not name the check; print id, path and message from its JSON.
explain_kube_score() {
  # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
  "$kube_score" score --output-format json --kubernetes-version v1.27 "$1" 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      for (const o of JSON.parse(s || "[]")) for (const c of o.checks || []) {
        if (c.grade !== 1 || c.skipped) continue;
        for (const m of c.comments || [{}]) {
          console.log(`${o.object_name}: [${c.check.id}] ${m.path ? m.path + ": " : ""}${m.summary || c.check.name}${m.description ? " (" + m.description + ")" : ""}`);
        }
      }
    });' || true
}

# Self-test: the gates must be able to fail.
selftest="$CLUSTER_SCRIPTS_DIR/selftest/lint-critical.yaml"
"$kube_score" score --output-format ci "$selftest" >"$work/selftest.out" 2>&1 || true
if ! grep -q '^\[CRITICAL\]' "$work/selftest.out"; then
  die "self-test: kube-score graded selftest/lint-critical.yaml without a CRITICAL"
fi
if [ -n "$kube_linter" ] && "$kube_linter" lint "$selftest" >/dev/null 2>&1; then
  die "self-test: kube-linter found nothing in selftest/lint-critical.yaml"
fi
if node "$CLUSTER_SCRIPTS_DIR/kube-linter-defaults.js" "$selftest" >/dev/null 2>&1; then
  die "self-test: the kube-linter default checks (port) found nothing in selftest/lint-critical.yaml"
fi

LINT_TEST_SELECTOR="${LINT_TEST_SELECTOR-app.kubernetes.io/managed-by=cdk8s-patterns}"
(cd "$REPO_ROOT" && node "$CLUSTER_SCRIPTS_DIR/lint-inputs.mjs" "$work/inputs" "$LINT_TEST_SELECTOR" "${files[@]}") >"$work/inputs.tsv"

passed=0
failed=0
skipped=0
warned_files=0
while IFS=$'\t' read -r -u 3 f src; do
  rel="${src#"$REPO_ROOT"/}"
  if [ "$f" = - ]; then skipped=$(( skipped + 1 )); continue; fi
  file_ok=1

  rc=0
  "$kube_score" score --output-format ci --kubernetes-version v1.27 "$f" >"$work/ks.out" 2>"$work/ks.err" || rc=$?
  if grep -q '^\[CRITICAL\]' "$work/ks.out"; then
    echo "FAIL kube-score $rel:" >&2
    explain_kube_score "$f" | awk '!seen[$0]++' | indent >&2
    file_ok=0
  elif [ "$rc" != 0 ]; then
    echo "FAIL kube-score $rel: exit $rc" >&2
    cat "$work/ks.err" "$work/ks.out" | indent >&2
    file_ok=0
  fi
  if grep -q '^\[WARNING\]' "$work/ks.out"; then
    warned_files=$(( warned_files + 1 ))
    if [ "${LINT_VERBOSE:-0}" = 1 ]; then
      echo "note kube-score warnings in $rel:" >&2
      grep '^\[WARNING\]' "$work/ks.out" | sort -u | indent >&2
    fi
  fi

  if [ -n "$kube_linter" ]; then
    if ! "$kube_linter" lint --format plain "$f" >"$work/kl.out" 2>&1; then
      echo "FAIL kube-linter $rel:" >&2
      indent <"$work/kl.out" >&2
      file_ok=0
    fi
  fi
  # kube-linter's default checks, ported (kube-linter-defaults.js): always run, so the checks are
  # enforced on machines where the kube-linter binary cannot be installed.
  if ! node "$CLUSTER_SCRIPTS_DIR/kube-linter-defaults.js" "$f" >"$work/klp.out" 2>&1; then
    echo "FAIL kube-linter default checks (port) $rel:" >&2
    indent <"$work/klp.out" >&2
    file_ok=0
  fi

  if [ -n "$polaris" ]; then
    rc=0
    "$polaris" audit --audit-path "$f" --format pretty --color=false --only-show-failed-tests \
      --set-exit-code-on-danger >"$work/pol.out" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
      echo "FAIL polaris $rel (exit $rc; 3 = danger-level findings):" >&2
      indent <"$work/pol.out" >&2
      file_ok=0
    fi
  fi

  if [ "$file_ok" = 1 ]; then passed=$(( passed + 1 )); else failed=$(( failed + 1 )); fi
done 3<"$work/inputs.tsv"

if [ "$warned_files" -gt 0 ] && [ "${LINT_VERBOSE:-0}" != 1 ]; then
  log "kube-score warnings (not gated) in $warned_files files; LINT_VERBOSE=1 lists them"
fi
log "linted $(( passed + failed )) of ${#files[@]} files ($skipped hold no $LINT_TEST_SELECTOR objects) with kube-score, kube-linter's default checks (port)${kube_linter:+, kube-linter}${polaris:+, polaris}"
echo "lint: $passed passed, $failed failed"
[ "$failed" = 0 ]
