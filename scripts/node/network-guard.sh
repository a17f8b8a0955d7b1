#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The network safety rules of the single-node cluster: nothing a pod sends may leave the pod and
# Service CIDRs, so no packet from a test ever leaves the machine.
#
# Usage: scripts/node/network-guard.sh install|check|remove
#   install  add the rules (before anything of the cluster starts); idempotent
#   check    print the packets each rule dropped; exit 1 when any rule dropped one or a rule is missing
#   remove   delete the rules (and print the drop counters)
#
# One chain named CDK8SP-NODE-GUARD in each of three tables, entered for packets from the pod CIDR:
#   raw PREROUTING     before kube-proxy's own rules (it puts its jumps ahead of ours in FORWARD):
#                      drop anything addressed outside the pod and Service CIDRs
#   filter FORWARD     the same after Service addresses were translated
#   mangle POSTROUTING drop anything leaving through an interface other than the bridge or lo
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 install|check|remove"
need_cmd iptables "Debian package iptables"

has_chain() { iptables -w -t "$1" -n -L "$GUARD_CHAIN" >/dev/null 2>&1; }

install_rules() {
  local t
  for t in raw filter mangle; do
    has_chain "$t" || iptables -w -t "$t" -N "$GUARD_CHAIN"
    iptables -w -t "$t" -F "$GUARD_CHAIN"
  done
  for t in raw filter; do
    iptables -w -t "$t" -A "$GUARD_CHAIN" -d "$POD_CIDR" -j RETURN
    iptables -w -t "$t" -A "$GUARD_CHAIN" -d "$SERVICE_CIDR" -j RETURN
    iptables -w -t "$t" -A "$GUARD_CHAIN" -j DROP
  done
  iptables -w -t mangle -A "$GUARD_CHAIN" -o "$BRIDGE" -j RETURN
  iptables -w -t mangle -A "$GUARD_CHAIN" -o lo -j RETURN
  iptables -w -t mangle -A "$GUARD_CHAIN" -j DROP
  iptables -w -t raw -C PREROUTING -s "$POD_CIDR" -j "$GUARD_CHAIN" 2>/dev/null ||
    iptables -w -t raw -I PREROUTING 1 -s "$POD_CIDR" -j "$GUARD_CHAIN"
  iptables -w -t filter -C FORWARD -s "$POD_CIDR" -j "$GUARD_CHAIN" 2>/dev/null ||
    iptables -w -t filter -I FORWARD 1 -s "$POD_CIDR" -j "$GUARD_CHAIN"
  iptables -w -t mangle -C POSTROUTING -s "$POD_CIDR" -j "$GUARD_CHAIN" 2>/dev/null ||
    iptables -w -t mangle -I POSTROUTING 1 -s "$POD_CIDR" -j "$GUARD_CHAIN"
  log "network guard installed: pods may reach only $POD_CIDR and $SERVICE_CIDR"
}

# Print "TABLE DROPPED" per table; return 1 when a chain is missing or dropped a packet.
check_rules() {
  local t n status=0
  for t in raw filter mangle; do
    if ! has_chain "$t"; then
      echo "$t missing"; status=1; continue
    fi
    n="$(iptables -w -t "$t" -n -v -x -L "$GUARD_CHAIN" | awk '$3 == "DROP" {s += $1} END {print s + 0}')"
    echo "$t $n"
    [ "$n" -eq 0 ] || status=1
  done
  return "$status"
}

remove_rules() {
  local t hook
  for t in raw filter mangle; do
    case "$t" in raw) hook=PREROUTING ;; filter) hook=FORWARD ;; mangle) hook=POSTROUTING ;; esac
    while iptables -w -t "$t" -D "$hook" -s "$POD_CIDR" -j "$GUARD_CHAIN" 2>/dev/null; do :; done
    if has_chain "$t"; then
      iptables -w -t "$t" -F "$GUARD_CHAIN"
      iptables -w -t "$t" -X "$GUARD_CHAIN"
    fi
  done
}

case "$1" in
  install) install_rules ;;
  check)
    if out="$(check_rules)"; then
      log "network guard: no packet dropped ($(echo "$out" | paste -sd, -))"
    else
      log "network guard: packets dropped or rules missing: $(echo "$out" | paste -sd, -)"
      exit 1
    fi
    ;;
  remove)
    out="$(check_rules || true)"
    remove_rules
    log "network guard removed (dropped packets per table: $(echo "$out" | paste -sd, -))"
    ;;
  *) die "usage: $0 install|check|remove" ;;
esac
