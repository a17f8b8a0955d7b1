#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `npm run test:node`: start the single-node cluster, run the scenarios of test/node/ (every
# example in real pods), stop the cluster (also on failure or interrupt), check that the network
# guard dropped nothing, and end with one line: how many scenarios ran, passed and failed.
#
# Usage: scripts/node/test-node.sh [JEST ARGS...]
#   NODE_REUSE=1  use an already running node (npm run node:up) and leave it running
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

t0="$(now_ms)"
results="$(mktemp "${TMPDIR:-/tmp}/test-node-results.XXXXXX.json")"
started=0
finish() {
  local rc=$? guard=0 summary
  if [ "$started" = 1 ]; then
    "$NODE_SCRIPTS_DIR/down.sh" || guard=1
  elif [ "${NODE_REUSE:-0}" = 1 ]; then
    "$NODE_SCRIPTS_DIR/network-guard.sh" check || guard=1
  fi
  summary="$(node -e '
    const fs = require("fs");
    let r = {};
    try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { }
    const ran = (r.numPassedTests ?? 0) + (r.numFailedTests ?? 0);
    console.log(`${ran} ${r.numPassedTests ?? 0} ${r.numFailedTests ?? 0}`);
  ' "$results")"
  rm -f "$results"
  read -r ran passed failed <<<"$summary"
  if [ "$guard" != 0 ]; then
    log "the network guard dropped packets or could not be checked (see above)"
    rc=1
  fi
  [ "$ran" -gt 0 ] || rc=1
  [ "$failed" -eq 0 ] || rc=1
  echo "test:node: $ran scenarios in $(( ($(now_ms) - t0) / 1000 )) s: $passed passed, $failed failed$([ "$guard" = 0 ] || echo ', network guard FAILED')"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

if [ "${NODE_REUSE:-0}" = 1 ] && [ -f "$NODE_STATE_DIR/env" ]; then
  log "using the running node ($NODE_STATE_DIR)"
else
  started=1
  "$NODE_SCRIPTS_DIR/up.sh" >/dev/null
fi
log "node up after $(( ($(now_ms) - t0) / 1000 )) s"
npx jest -c jest.node.config.js --runInBand --json --outputFile="$results" "$@"
