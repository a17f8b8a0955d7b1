#!/usr/bin/env bash
# Installs the Debian packages the single-node cluster needs (scripts/node/): the container
# runtime (containerd, runc, CNI plugins), what builds the images without a registry (mmdebstrap,
# umoci, gcc and libc6-dev for the static pause program, busybox-static), and what the node's
# scripts call (iptables, ipset, conntrack, iproute2, etcd, openssl, curl). A system containerd the
# package may start is left alone: the node runs its own, with private state and socket. The Go
# toolchain that builds the Kubernetes binaries is assumed present, as for the cluster suite.
# Idempotent: skips apt when all are present.
set -euo pipefail
exec bash "$(dirname "$0")/../install-test-deps.sh" \
  containerd runc containernetworking-plugins mmdebstrap umoci gcc libc6-dev busybox-static file \
  iptables ipset conntrack iproute2 util-linux etcd-server openssl curl ca-certificates
