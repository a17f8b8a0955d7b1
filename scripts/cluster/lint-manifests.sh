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
# Gates (every linter is required: a missing one fails the run; outside CI a missing one is
# installed first with install-linters.sh):
#   kube-score   `score --output-format ci`: any [CRITICAL] line fails (LINT_VERBOSE=1 also
#                lists the warnings, which do not fail).
#   kube-linter  `lint` with its default checks: any finding fails.
#   Polaris      `audit` with its default configuration: any danger-level finding fails; with
#                POLARIS_GATE=warning any warning fails too. Warnings below the gate are counted
#                (LINT_VERBOSE=1 lists them). A deliberate deviation carries
#                `polaris.fairwinds.com/<check>-exempt: "true"` on the object, with its reason in
#                the README.
# A self-test first checks that each linter flags selftest/lint-critical.yaml.
# Linters come from scripts/cluster/install-linters.sh (pinned in linters.env), or from the
# KUBE_SCORE, KUBE_LINTER, POLARIS variables.
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
  polaris="$(locate polaris "$POLARIS_VERSION" "${POLARIS:-}")"
}
find_linters
if { [ -z "$kube_score" ] || [ -z "$kube_linter" ] || [ -z "$polaris" ]; } && ! is_ci; then
  log "installing missing linters (once per machine)"
  "$CLUSTER_SCRIPTS_DIR/install-linters.sh" >&2 || true
  find_linters
fi
missing=0
for tool in $REQUIRED_LINTERS; do
  case "$tool" in
    kube-score) [ -n "$kube_score" ] || { log "error: kube-score $KUBE_SCORE_VERSION is not installed (scripts/cluster/install-linters.sh)"; missing=1; } ;;
    kube-linter) [ -n "$kube_linter" ] || { log "error: kube-linter $KUBE_LINTER_VERSION is not installed (scripts/cluster/install-linters.sh)"; missing=1; } ;;
    polaris) [ -n "$polaris" ] || { log "error: polaris $POLARIS_VERSION is not installed (scripts/cluster/install-linters.sh)"; missing=1; } ;;
  esac
done
[ "$missing" = 0 ] || exit 1
for tool in kube-score kube-linter polaris; do
  case " $REQUIRED_LINTERS " in *" $tool "*) ;; *) log "note: $tool is not required (REQUIRED_LINTERS=$REQUIRED_LINTERS)" ;; esac
done

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

# polaris_findings FILE [GATE]: Polaris's default audit of FILE; prints one line per failed check
# at warning or danger level and fails when one reaches GATE (or when Polaris itself fails).
polaris_findings() {
  "$polaris" audit --audit-path "$1" --format json --only-show-failed-tests >"$work/pol.json" 2>"$work/pol.err" ||
    { cat "$work/pol.err"; return 2; }
  node "$CLUSTER_SCRIPTS_DIR/polaris-findings.mjs" "$work/pol.json" "${2:-danger}"
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
if [ -n "$polaris" ] && polaris_findings "$selftest" danger >/dev/null 2>&1; then
  die "self-test: polaris found no danger-level finding in selftest/lint-critical.yaml"
fi

LINT_TEST_SELECTOR="${LINT_TEST_SELECTOR-app.kubernetes.io/managed-by=cdk8s-patterns}"
(cd "$REPO_ROOT" && node "$CLUSTER_SCRIPTS_DIR/lint-inputs.mjs" "$work/inputs" "$LINT_TEST_SELECTOR" "${files[@]}") >"$work/inputs.tsv"

POLARIS_GATE="${POLARIS_GATE:-danger}"
case "$POLARIS_GATE" in danger | warning) ;; *) die "POLARIS_GATE must be danger or warning, got $POLARIS_GATE" ;; esac
passed=0
failed=0
skipped=0
warned_files=0
polaris_warned_files=0
polaris_warnings=0
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

  if [ -n "$polaris" ]; then
    if ! polaris_findings "$f" "$POLARIS_GATE" >"$work/pol.out" 2>&1; then
      echo "FAIL polaris $rel (gate: $POLARIS_GATE):" >&2
      indent <"$work/pol.out" >&2
      file_ok=0
    elif [ -s "$work/pol.out" ]; then
      polaris_warned_files=$(( polaris_warned_files + 1 ))
      polaris_warnings=$(( polaris_warnings + $(wc -l <"$work/pol.out") ))
      if [ "${LINT_VERBOSE:-0}" = 1 ]; then
        echo "note polaris warnings in $rel:" >&2
        indent <"$work/pol.out" >&2
      fi
    fi
  fi

  if [ "$file_ok" = 1 ]; then passed=$(( passed + 1 )); else failed=$(( failed + 1 )); fi
done 3<"$work/inputs.tsv"

if [ "$warned_files" -gt 0 ] && [ "${LINT_VERBOSE:-0}" != 1 ]; then
  log "kube-score warnings (not gated) in $warned_files files; LINT_VERBOSE=1 lists them"
fi
if [ "$polaris_warned_files" -gt 0 ]; then
  hint=""; [ "${LINT_VERBOSE:-0}" = 1 ] || hint="; LINT_VERBOSE=1 lists them"
  log "polaris: $polaris_warnings warnings below the gate ($POLARIS_GATE) in $polaris_warned_files passing files$hint"
fi
log "linted $(( passed + failed )) of ${#files[@]} files ($skipped hold no $LINT_TEST_SELECTOR objects) with${kube_score:+ kube-score $KUBE_SCORE_VERSION}${kube_linter:+, kube-linter $KUBE_LINTER_VERSION}${polaris:+, polaris $POLARIS_VERSION}"
echo "lint: $passed passed, $failed failed"
[ "$failed" = 0 ]
