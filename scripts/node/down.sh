#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stop the single-node cluster started by up.sh, even after a failed or interrupted start: stop
# every container, then every process it started (by pid, in reverse start order), unmount
# what kubelet and containerd mounted, delete the bridge, the pods' network namespaces and
# kube-proxy's rules, restore the sysctls, remove the network guard (printing its drop
# counters) and the state directory.
#
# Usage: scripts/node/down.sh     (NODE_KEEP_STATE=1 keeps the state directory and its logs)
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

S="$NODE_STATE_DIR"
[ "$(id -u)" -eq 0 ] || die "run as root"
t0="$(now_ms)"

pid_of() { local f; f="$(node_pidfile "$1")"; [ -s "$f" ] && cat "$f"; }
# stop NAME SECONDS: SIGTERM, wait, then SIGKILL.
stop() {
  local pid deadline
  pid="$(pid_of "$1")" || return 0
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$(( $(date +%s) + $2 ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$1 (pid $pid) did not stop after SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.1
  done
  rm -f "$(node_pidfile "$1")"
}

# 1. the node agents first, so nothing restarts containers
for name in kube-proxy kubelet; do stop "$name" 10; done

phase() { log "$1 ($(( ($(now_ms) - t0) / 1000 ))s)"; }
phase "kubelet and kube-proxy stopped"

# 2. every container and pod sandbox: kill the tasks through containerd, then its shims
sock="$S/containerd/containerd.sock"
if [ -S "$sock" ] && pid_of containerd >/dev/null; then
  ctr_() { timeout 30 ctr --address "$sock" -n k8s.io "$@"; }
  for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -a -s SIGKILL "$task" >/dev/null 2>&1; done
  deadline=$(( $(date +%s) + 20 ))
  while [ -n "$(ctr_ tasks ls 2>/dev/null | awk 'NR > 1 && $3 != "STOPPED"')" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
  for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$task" >/dev/null 2>&1; done
fi
# shims of this node's containerd (found by its private socket path in their command line)
shims() {
  local p
  for p in /proc/[0-9]*; do
    if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "containerd-shim.* -address $sock"; then echo "${p#/proc/}"; fi
  done
}
# containers whose shim died without them (runc root private to this node)
if [ -d "$S/containerd/runc" ]; then
  for ns in "$S"/containerd/runc/*; do
    [ -d "$ns" ] || continue
    for id in $(runc --root "$ns" list -q 2>/dev/null); do
      runc --root "$ns" kill "$id" KILL >/dev/null 2>&1
      runc --root "$ns" delete -f "$id" >/dev/null 2>&1
    done
  done
fi

phase "containers stopped"

# 3. the control plane and containerd, in reverse start order
for (( i=${#NODE_PROCESSES[@]}-1; i>=0; i-- )); do
  name="${NODE_PROCESSES[$i]}"
  case "$name" in kubelet | kube-proxy) continue ;; esac
  stop "$name" 20
done
for pid in $(shims); do kill -KILL "$pid" 2>/dev/null; done

phase "control plane and containerd stopped"

# 4. kube-proxy's rules, the pods' network namespaces, the bridge, the sysctls
kp="$(k8s_bin kube-proxy "$NODE_KUBE_VERSION")"
if [ -x "$kp" ]; then "$kp" --cleanup >/dev/null 2>&1; fi
for t in nat filter mangle; do
  # chains kube-proxy --cleanup may leave: KUBE-* (only if they exist)
  for chain in $(iptables -w -t "$t" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}'); do
    iptables -w -t "$t" -S 2>/dev/null | grep -E -- "-j $chain( |$)" | grep -v "^-N" | sed 's/^-A/-D/' |
      while IFS= read -r rule; do eval "iptables -w -t $t $rule" 2>/dev/null; done
  done
  for chain in $(iptables -w -t "$t" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}'); do
    iptables -w -t "$t" -F "$chain" 2>/dev/null
  done
  for chain in $(iptables -w -t "$t" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}'); do
    iptables -w -t "$t" -X "$chain" 2>/dev/null
  done
done
# network namespaces whose only interface was on this node's bridge (named cni-* by containerd's CRI)
for ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
  ip netns delete "$ns" 2>/dev/null
done
if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link delete "$BRIDGE" type bridge 2>/dev/null; fi
if [ -f "$S/config/sysctl.saved" ]; then
  while IFS='=' read -r k v; do echo "$v" >"/proc/sys/${k//.//}" 2>/dev/null; done <"$S/config/sysctl.saved"
fi

# 5. mounts under the state directory (pod volumes, overlay snapshots, sandbox /dev/shm), deepest first
if [ -d "$S" ]; then
  findmnt -rn -o TARGET | grep -F "$S/" | sort -r | while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
fi
# the pods' cgroups kubelet created (cgroup v1: one tree per controller; v2: one tree)
for root in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods.slice /sys/fs/cgroup/kubepods.slice; do
  [ -d "$root" ] && find "$root" -depth -type d -exec rmdir {} \; 2>/dev/null
done

# 6. the network guard, last: it stays until nothing can send a packet
status=0
if iptables -w -t raw -n -L "$GUARD_CHAIN" >/dev/null 2>&1; then
  "$NODE_SCRIPTS_DIR/network-guard.sh" check || status=1
  "$NODE_SCRIPTS_DIR/network-guard.sh" remove
fi

leftover="$(for name in "${NODE_PROCESSES[@]}"; do pid_of "$name" 2>/dev/null; done; shims)"
if [ -n "$leftover" ]; then log "processes still running: $leftover"; status=1; fi
if [ -d "$S" ] && [ "${NODE_KEEP_STATE:-0}" != 1 ]; then
  if findmnt -rn -o TARGET | grep -F "$S/" >/dev/null; then
    log "mounts remain under $S; not deleting it"; status=1
  else
    rm -rf --one-file-system "$S"
  fi
fi
log "node stopped in $(( ($(now_ms) - t0) / 1000 ))s"
exit "$status"
