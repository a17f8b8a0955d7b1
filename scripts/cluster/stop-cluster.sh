#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stop a control plane started by start-cluster.sh and remove its state directory.
#
# Usage: scripts/cluster/stop-cluster.sh DIR
# Sends SIGTERM to each process group (kube-apiserver first, then etcd), waits up to
# CLUSTER_STOP_TIMEOUT seconds (default 20) for it to exit, then SIGKILLs what is left.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 DIR"
dir="$1"
[ -d "$dir" ] || exit 0
# An empty directory: the start failed before anything was created in it.
if rmdir "$dir" 2>/dev/null; then exit 0; fi
# Refuse to delete anything that is not a cluster state directory.
[ -f "$dir/.cdk8s-patterns-cluster" ] || die "$dir is not a cluster state directory"

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

for name in kube-apiserver etcd; do
  pidfile="$dir/$name.pid"
  [ -s "$pidfile" ] || continue
  pgid="$(cat "$pidfile")"
  [[ "$pgid" =~ ^[0-9]+$ ]] || continue
  group_alive "$pgid" || continue
  kill -TERM -- "-$pgid" 2>/dev/null || true
  deadline=$(( $(date +%s) + ${CLUSTER_STOP_TIMEOUT:-20} ))
  while group_alive "$pgid"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$name did not stop after SIGTERM; killing"
      kill -KILL -- "-$pgid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
done
rm -rf "$dir"
