#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Start a real single-node Kubernetes on this machine and print the path of its admin kubeconfig:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, CoreDNS, containerd + runc with a
# CNI bridge, kubelet and kube-proxy, the local images of scripts/node/images.env imported, and
# static `local` PersistentVolumes behind the default StorageClass `local`.
#
# Usage: scripts/node/up.sh     (as root; stop everything with scripts/node/down.sh)
#
# Binaries and images are built once per machine (scripts/node/build-binaries.sh,
# scripts/node/build-image.sh); under CI=true a missing one is an error instead.
# Network safety: the rules of network-guard.sh are installed before anything starts; pods have
# routes to the pod and Service CIDRs only and CoreDNS answers only for cluster.local.
#
# Environment: NODE_STATE_DIR (see lib.sh), NODE_VOLUMES (number of PersistentVolumes, default 24),
# NODE_START_TIMEOUT (seconds per component, default 180).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: the node needs containerd, mounts and iptables"
for c in containerd containerd-shim-runc-v2 runc ctr etcd openssl curl iptables ip findmnt setsid busybox; do need_cmd "$c"; done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] ||
  die "CNI plugins not found in /usr/lib/cni (Debian package containernetworking-plugins)"
if [ -e "$NODE_STATE_DIR/up" ] || [ -d "$NODE_STATE_DIR/pids" ]; then
  die "a node is already running or was not stopped ($NODE_STATE_DIR): run scripts/node/down.sh"
fi

t_start="$(now_ms)"
timeout_s="${NODE_START_TIMEOUT:-180}"
S="$NODE_STATE_DIR"

# --- binaries and images (cached per machine)
bins=()
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
  b="$(k8s_bin "$c" "$NODE_KUBE_VERSION")"
  if ! [ -x "$b" ]; then
    is_ci && die "$c v$NODE_KUBE_VERSION is not built ($b): run scripts/node/build-binaries.sh in the prepare step"
    "$NODE_SCRIPTS_DIR/build-binaries.sh" >&2
  fi
  bins+=("$b")
done
coredns_bin="$CACHE_ROOT/coredns/$COREDNS_VERSION/coredns"
if ! [ -x "$coredns_bin" ]; then
  is_ci && die "coredns v$COREDNS_VERSION is not built ($coredns_bin): run scripts/node/build-binaries.sh"
  "$NODE_SCRIPTS_DIR/build-binaries.sh" >&2
fi
# image references, without duplicates (two variables may name the same image)
mapfile -t images < <(sed -n 's/^[A-Z0-9_]*_IMAGE[A-Z0-9_]*=//p' "$NODE_SCRIPTS_DIR/images.env" | sort -u)
archives=()
for ref in "${images[@]}"; do
  nt="${ref#localhost/}"
  if is_ci; then
    archives+=("$(IMAGE_CACHED_ONLY=1 "$NODE_SCRIPTS_DIR/build-image.sh" "$nt")") ||
      die "image $ref is not built: run scripts/node/prepare.sh in the prepare step"
  else
    archives+=("$("$NODE_SCRIPTS_DIR/build-image.sh" "$nt")")
  fi
done
log "binaries and images ready ($(( ($(now_ms) - t_start) / 1000 ))s)"

mkdir -p "$S"/{pids,logs,pki,etcd,cni/net.d,cni/ipam,containerd,kubelet,volumes,config}
: >"$S/up"
started_ok=0
on_exit() {
  if [ "$started_ok" != 1 ]; then
    log "start failed; logs in $S/logs; stopping what was started"
    tail -n 30 "$S"/logs/*.log >&2 2>/dev/null || true
    "$NODE_SCRIPTS_DIR/down.sh" >&2 || true
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# --- network: safety rules first, then the bridge with the node's address
"$NODE_SCRIPTS_DIR/network-guard.sh" install
for k in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables; do
  f="/proc/sys/${k//.//}"
  [ -e "$f" ] || { [ "$k" = net.bridge.bridge-nf-call-iptables ] && modprobe br_netfilter 2>/dev/null; } || true
  [ -e "$f" ] || die "$f does not exist (kernel module br_netfilter?)"
  echo "$k=$(cat "$f")" >>"$S/config/sysctl.saved"
  echo 1 >"$f"
done
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
# A bridge without an explicit address takes the lowest MAC of its ports, so it would change
# whenever a pod's veth joins or leaves, and pods would send to a stale gateway MAC (every
# Service connection goes through the gateway) until their ARP entry expires: lost requests.
ip link set "$BRIDGE" address 0a:58:0a:f4:00:01
ip addr replace "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up

# --- PKI: one CA; serving certificates for the API server; one client certificate per component
pki="$S/pki"
openssl_quiet() { openssl "$@" 2>/dev/null; }
openssl_quiet req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" \
  -days 7 -subj "/CN=cdk8s-patterns-node-ca"
# cert NAME SUBJECT EXT
cert() {
  openssl_quiet req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "$2"
  printf '%s\n' "$3" >"$pki/$1.ext"
  openssl_quiet x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 7 \
    -extfile "$pki/$1.ext" -out "$pki/$1.crt"
}
cert apiserver "/CN=kube-apiserver" "subjectAltName=IP:$NODE_IP,IP:127.0.0.1,IP:${SERVICE_CIDR%.*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
client='extendedKeyUsage=clientAuth'
cert admin "/O=system:masters/CN=cdk8s-patterns-admin" "$client"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
cert kube-controller-manager "/CN=system:kube-controller-manager" "$client"
cert kube-scheduler "/CN=system:kube-scheduler" "$client"
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "$client"
cert kube-proxy "/CN=system:kube-proxy" "$client"
cert coredns "/CN=cdk8s-patterns-coredns" "$client"
cert kubelet-serving "/CN=$NODE_NAME" "subjectAltName=IP:$NODE_IP,DNS:$NODE_NAME
extendedKeyUsage=serverAuth"
openssl_quiet genrsa -out "$pki/sa.key" 2048
openssl_quiet rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

url="https://$NODE_IP:$API_PORT"
kubeconfig() {
  cat >"$S/$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster:
    server: $url
    certificate-authority: $pki/ca.crt
users:
- name: $1
  user:
    client-certificate: $pki/$1.crt
    client-key: $pki/$1.key
contexts:
- name: node
  context: {cluster: node, user: $1, namespace: default}
current-context: node
KC
}
for c in admin kube-controller-manager kube-scheduler kubelet kube-proxy coredns; do kubeconfig "$c"; done
export KUBECONFIG="$S/admin.kubeconfig"
kubectl_bin="${bins[5]}"

# start NAME CMD...: run CMD in its own session, log to logs/NAME.log, record the pid.
start() {
  local name="$1"; shift
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$(node_pidfile "$name")" "$@" >"$S/logs/$name.log" 2>&1 </dev/null &
  local deadline=$(( $(date +%s) + 10 ))
  until [ -s "$(node_pidfile "$name")" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "$name did not start"
    sleep 0.05
  done
}
alive() { kill -0 "$(cat "$(node_pidfile "$1")")" 2>/dev/null; }
# wait_for NAME WHAT CMD...: poll CMD until it succeeds, NAME dies or the deadline passes.
wait_for() {
  local name="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout_s ))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || die "$name exited while waiting for $what (log: $S/logs/$name.log)"
    [ "$(date +%s)" -lt "$deadline" ] || die "$what not reached after ${timeout_s}s (log: $S/logs/$name.log)"
    sleep 0.2
  done
  log "$what ($(( ($(now_ms) - t_start) / 1000 ))s)"
}

# --- containerd: private root, state, socket and runc root; CNI bridge without masquerading
cat >"$S/containerd/config.toml" <<TOML
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
oom_score = 0
[grpc]
  address = "$S/containerd/containerd.sock"
[ttrpc]
  address = "$S/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$S/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(sed -n 's/^PAUSE_IMAGE=//p' "$NODE_SCRIPTS_DIR/images.env")"
  # root lacks CAP_SYS_RESOURCE on these machines: runc must not raise oom_score_adj
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$S/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/cni/net.d"
    max_conf_num = 1
TOML
cat >"$S/cni/net.d/10-node.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "cdk8s-patterns-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$S/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "rangeStart": "${POD_CIDR%.*}.10", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "$POD_CIDR" }, { "dst": "$SERVICE_CIDR" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
# Every image is imported beforehand; a pull of anything else (an image the local images do not
# replace) must fail here, not reach a registry: containerd's only way out is a proxy on a
# closed local port.
start containerd env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
  http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 no_proxy= \
  containerd --config "$S/containerd/config.toml"
ctr_() { ctr --address "$S/containerd/containerd.sock" -n k8s.io "$@"; }
wait_for containerd "containerd serving" ctr_ version
t_img="$(now_ms)"
for i in "${!images[@]}"; do
  ref="${images[$i]}"
  ctr_ images import --base-name "${ref%:*}" "${archives[$i]}" >/dev/null
done
present="$(ctr_ images ls -q)"
for ref in "${images[@]}"; do
  grep -qx "$ref" <<<"$present" || die "image $ref missing after importing it"
done
log "imported ${#images[@]} images in $(( ($(now_ms) - t_img) / 1000 ))s"

# --- etcd and the control plane
start etcd etcd --name node --data-dir "$S/etcd" \
  --listen-client-urls "http://127.0.0.1:2479" --advertise-client-urls "http://127.0.0.1:2479" \
  --listen-peer-urls "http://127.0.0.1:2480" --initial-advertise-peer-urls "http://127.0.0.1:2480" \
  --initial-cluster "node=http://127.0.0.1:2480" --log-level error
wait_for etcd "etcd healthy" curl -fsS http://127.0.0.1:2479/health

start kube-apiserver "${bins[0]}" \
  --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$API_PORT" \
  --etcd-servers=http://127.0.0.1:2479 \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --allow-privileged=false --profiling=false --cert-dir="$S/apiserver-certs"
wait_for kube-apiserver "kube-apiserver ready" sh -c "curl -fsS --cacert '$pki/ca.crt' --cert '$pki/admin.crt' --key '$pki/admin.key' '$url/readyz' | grep -qx ok"

start kube-controller-manager "${bins[1]}" \
  --kubeconfig="$S/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="$S/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="$S/kube-controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10257 \
  --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false \
  --controllers='*,-nodeipam,-cloud-node-lifecycle,-service,-route' --profiling=false
start kube-scheduler "${bins[2]}" \
  --kubeconfig="$S/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig="$S/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig="$S/kube-scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false --profiling=false

# CoreDNS on the node's bridge address answers cluster.local only (no forward: outside names fail)
cat >"$S/config/Corefile" <<COREFILE
.:53 {
  bind $NODE_IP
  errors
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig $S/coredns.kubeconfig node
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
  }
  cache 5
}
COREFILE
"$kubectl_bin" apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cdk8s-patterns-coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: cdk8s-patterns-coredns}]
YAML
start coredns "$coredns_bin" -conf "$S/config/Corefile"

# --- kubelet and kube-proxy
: >"$S/config/resolv.conf"
cat >"$S/config/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
clusterDNS: [$NODE_IP]
clusterDomain: cluster.local
resolvConf: $S/config/resolv.conf
failSwapOn: false
serializeImagePulls: false
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 110
protectKernelDefaults: false
YAML
start kubelet "${bins[3]}" --config="$S/config/kubelet.yaml" --kubeconfig="$S/kubelet.kubeconfig" \
  --container-runtime-endpoint="unix://$S/containerd/containerd.sock" \
  --root-dir="$S/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
  --pod-infra-container-image="$(sed -n 's/^PAUSE_IMAGE=//p' "$NODE_SCRIPTS_DIR/images.env")"
cat >"$S/config/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clientConnection: {kubeconfig: $S/kube-proxy.kubeconfig}
conntrack: {maxPerCore: 0}
YAML
start kube-proxy "${bins[4]}" --config="$S/config/kube-proxy.yaml"

k() { "$kubectl_bin" "$@"; }
wait_for kubelet "node $NODE_NAME Ready" sh -c "'$kubectl_bin' get node '$NODE_NAME' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"

# --- storage: static local PersistentVolumes (kubelet applies fsGroup to them, as to cloud disks)
n_vol="${NODE_VOLUMES:-24}"
{
  cat <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
YAML
  for i in $(seq -w 1 "$n_vol"); do
    mkdir -p "$S/volumes/pv-$i"
    cat <<YAML
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv-$i
  labels: {cdk8s-patterns.io/node-volume: "true"}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local
  local: {path: $S/volumes/pv-$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}]
YAML
  done
} | k apply -f - >/dev/null
wait_for kube-controller-manager "default ServiceAccount created" k get serviceaccount default -n default
wait_for coredns "CoreDNS answering" sh -c "busybox nslookup kubernetes.default.svc.cluster.local $NODE_IP | grep -q '${SERVICE_CIDR%.*}.1'"
wait_for kube-proxy "kube-proxy synced" curl -fsS http://127.0.0.1:10256/healthz

cat >"$S/env" <<ENV
KUBECONFIG=$S/admin.kubeconfig
KUBECTL=$kubectl_bin
KUBE_VERSION=$NODE_KUBE_VERSION
NODE_NAME=$NODE_NAME
NODE_STATE_DIR=$S
ENV
started_ok=1
log "node $NODE_NAME (Kubernetes v$NODE_KUBE_VERSION) ready in $(( ($(now_ms) - t_start) / 1000 ))s; kubectl: $kubectl_bin"
echo "$S/admin.kubeconfig"
