#!/usr/bin/env bash
# Installs the Debian packages the single-node cluster needs (scripts/node/): the container
# runtime (containerd, runc, CNI plugins), what builds the images without a registry (mmdebstrap,
# umoci, gcc and libc6-dev for the static pause program, busybox-static), and what the node's
# scripts call (iptables, ipset, conntrack, iproute2, etcd, openssl, curl). A system containerd the
# package may start is left alone: the node runs its own, with private state and socket. The Go toolchain that
# builds the Kubernetes binaries is assumed present, as for the cluster suite. Idempotent.
set -euo pipefail

packages=(containerd runc containernetworking-plugins mmdebstrap umoci gcc libc6-dev busybox-static file
  iptables ipset conntrack iproute2 util-linux etcd-server openssl curl ca-certificates)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "node install-deps: all packages present"
  exit 0
fi
echo "node install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "node install-deps: done"
