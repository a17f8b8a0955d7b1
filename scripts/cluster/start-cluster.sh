#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Start a throwaway control plane (etcd + kube-apiserver, no controllers, no nodes) on 127.0.0.1.
#
# Usage: scripts/cluster/start-cluster.sh VERSION [DIR]
#   VERSION  Kubernetes version X.Y.Z (or X.Y / latest); the kube-apiserver is built and cached
#            by build-apiserver.sh when missing (under CI=true a missing binary is an error).
#   DIR      state directory to create (default: a new temporary directory).
#
# Prints the state directory on stdout. DIR/env holds KUBECONFIG, APISERVER_URL and
# KUBE_VERSION (source it); stop the cluster with scripts/cluster/stop-cluster.sh DIR.
#
# Environment: ETCD (etcd binary, default: etcd on PATH), KUBE_APISERVER (binary, default: the
# cache), CLUSTER_START_TIMEOUT (seconds to wait for readiness, default 180).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: $0 VERSION [DIR]"; fi
need_cmd openssl
need_cmd curl
need_cmd node "used to pick free ports"
need_cmd setsid

version="$(strip_v "$1")"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  version="$(resolve_k8s_version "$version")"
fi

etcd_bin="${ETCD:-$(command -v etcd || true)}"
[ -x "$etcd_bin" ] || die "etcd not found (apt-get install etcd-server, or set ETCD)"

apiserver="${KUBE_APISERVER:-$(apiserver_bin "$version")}"
if [ ! -x "$apiserver" ]; then
  if is_ci; then
    die "kube-apiserver v$version is not built ($apiserver); run scripts/cluster/build-apiserver.sh $version first"
  fi
  log "kube-apiserver v$version missing: building it (once per machine)"
  apiserver="$("$CLUSTER_SCRIPTS_DIR/build-apiserver.sh" "$version")"
fi

if [ $# -eq 2 ]; then
  dir="$2"; mkdir -p "$dir"
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty (stop-cluster.sh deletes the state directory)"
else
  dir="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-patterns-cluster.XXXXXX")"
fi
dir="$(cd "$dir" && pwd)"
: >"$dir/.cdk8s-patterns-cluster" # lets stop-cluster.sh recognise (and delete) the directory
started_ok=0
on_exit() {
  if [ "$started_ok" != 1 ]; then
    log "start failed; stopping what was started"
    "$CLUSTER_SCRIPTS_DIR/stop-cluster.sh" "$dir" >&2 || true
  fi
}
trap on_exit EXIT

# Free ports on the loopback interface, chosen by the kernel.
read -r etcd_client_port etcd_peer_port apiserver_port < <(node -e '
  const net = require("net");
  const servers = [0, 1, 2].map(() => net.createServer());
  Promise.all(servers.map(s => new Promise(r => s.listen(0, "127.0.0.1", () => r(s.address().port)))))
    .then(ports => { console.log(ports.join(" ")); servers.forEach(s => s.close()); });
')

# --- PKI: a CA, the serving certificate, the admin client certificate, service-account keys.
pki="$dir/pki"; mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj "/CN=cdk8s-patterns-test-ca" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
    -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile apiserver.ext -out apiserver.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
    -subj "/O=system:masters/CN=cdk8s-patterns-admin" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >admin.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile admin.ext -out admin.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)

url="https://127.0.0.1:$apiserver_port"
cat >"$dir/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $url
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: test
  context: {cluster: test, user: admin, namespace: default}
current-context: test
EOF

# start NAME CMD...: run CMD in its own session (so the whole process group can be killed),
# logging to DIR/NAME.log and recording the group id in DIR/NAME.pid.
start() {
  local name="$1"; shift
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/$name.pid" "$@" >"$dir/$name.log" 2>&1 </dev/null &
  local deadline=$(( $(date +%s) + 10 ))
  until [ -s "$dir/$name.pid" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "$name did not start"
    sleep 0.05
  done
}

alive() { kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

# wait_for NAME SECONDS CMD...: poll CMD until it succeeds, NAME dies, or the deadline passes.
wait_for() {
  local name="$1" timeout="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      tail -n 40 "$dir/$name.log" >&2 || true
      die "$name exited during startup (log: $dir/$name.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 40 "$dir/$name.log" >&2 || true
      die "$name not ready after ${timeout}s (log: $dir/$name.log)"
    fi
    sleep 0.2
  done
}

timeout_s="${CLUSTER_START_TIMEOUT:-180}"
t0="$(now_ms)"

start etcd "$etcd_bin" \
  --name test --data-dir "$dir/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$etcd_client_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_client_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "test=http://127.0.0.1:$etcd_peer_port" \
  --log-level error
wait_for etcd "$timeout_s" curl -fsS "http://127.0.0.1:$etcd_client_port/health"

# No controllers run, so nothing creates ServiceAccounts: the ServiceAccount admission plugin
# stays on (as in real clusters) and the test harness creates the "default" ServiceAccount in
# the namespaces it uses. Bare Pods naming a ServiceAccount that is only dry-run-applied in the
# same run are rejected; workload templates (Deployment, Job, ...) are not affected.
start kube-apiserver "$apiserver" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$apiserver_port" \
  --etcd-servers="http://127.0.0.1:$etcd_client_port" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --allow-privileged=true \
  --endpoint-reconciler-type=none \
  --cert-dir="$dir/apiserver-certs" \
  --profiling=false
readyz() {
  curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$url/readyz" | grep -qx ok
}
default_ns() {
  curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$url/api/v1/namespaces/default"
}
wait_for kube-apiserver "$timeout_s" readyz
wait_for kube-apiserver "$timeout_s" default_ns

cat >"$dir/env" <<EOF
KUBECONFIG=$dir/admin.kubeconfig
APISERVER_URL=$url
KUBE_VERSION=$version
EOF
started_ok=1
log "kube-apiserver v$version ready at $url in $(( $(now_ms) - t0 ))ms (state: $dir)"
echo "$dir"
