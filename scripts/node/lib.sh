# shellcheck shell=bash disable=SC2034 # the settings are used by the scripts that source this file
# Shared settings of the single-node cluster scripts (up.sh, down.sh, test-node.sh). Source it.
#
# Environment:
#   NODE_STATE_DIR   where the running cluster keeps its state, logs and pids
#                    (default /tmp/cdk8s-patterns-node; removed by down.sh)
# shellcheck source=../cluster/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib.sh"
NODE_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$NODE_SCRIPTS_DIR/versions.env"

NODE_STATE_DIR="${NODE_STATE_DIR:-/tmp/cdk8s-patterns-node}"
NODE_NAME=cdk8s-node
# Pods live on the cni0 bridge; the node itself is the bridge's gateway address, so the API
# server, the kubelet and DNS are reachable from pods without any other interface.
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/24
NODE_IP=10.244.0.1
API_PORT=6443
BRIDGE=cni0
# Chains of the network safety rules (iptables), each dropping what pods send outside the
# pod and Service CIDRs.
GUARD_CHAIN=CDK8SP-NODE-GUARD
# Processes in start order; down.sh stops them in reverse.
NODE_PROCESSES=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler coredns kubelet kube-proxy)

node_pidfile() { echo "$NODE_STATE_DIR/pids/$1.pid"; }
