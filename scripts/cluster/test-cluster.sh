#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Cluster suite: apply every synthesized object to real kube-apiservers with a server-side dry
# run and strict field validation. Any rejection or any warning fails the run.
#
# Usage: scripts/cluster/test-cluster.sh [VERSION...]
#   VERSION: X.Y.Z, X.Y (newest patch) or latest. Default: $KUBE_VERSIONS, else the pinned
#   versions in scripts/cluster/versions.env.
#
# Objects come from MANIFEST_PATHS (default "dist build/test-manifests", relative to the
# repository root): every *.yaml/*.yml below them, exact duplicates dropped. Objects without a
# namespace go to "default"; every namespace the objects reference is created first (for real),
# with the "default" ServiceAccount a controller manager would have created, and so are the
# ServiceAccounts among the objects (for bare Pods that name them).
#
# Before the project's objects, a self-test feeds deliberately broken objects (selftest/*.yaml)
# through the same apply path: the server must reject them (and warn for warning.yaml),
# otherwise the suite fails.
#
# Environment: KUBECTL (force one kubectl binary), APPLY_CHUNK (objects per kubectl call,
# default 50), CI=true (a missing apiserver, etcd, kubectl or an empty object set is a failure).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_cmd node
need_cmd kubectl "the kubectl client"

if [ $# -gt 0 ]; then
  specs="$*"
elif [ -n "${KUBE_VERSIONS:-}" ]; then
  specs="$KUBE_VERSIONS"
else
  # shellcheck source=versions.env
  . "$CLUSTER_SCRIPTS_DIR/versions.env"
  specs="$KUBE_VERSIONS"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-patterns-cluster-test.XXXXXX")"
cluster_dir=""
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  if [ -n "$cluster_dir" ]; then "$CLUSTER_SCRIPTS_DIR/stop-cluster.sh" "$cluster_dir" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- collect the objects once -------------------------------------------------------------
# shellcheck disable=SC2086 # the paths are a space-separated list
collect_manifest_files ${MANIFEST_PATHS:-dist build/test-manifests}
if [ ${#files[@]} -eq 0 ]; then
  is_ci && die "no manifests found in ${MANIFEST_PATHS:-dist build/test-manifests}: run the synth and the jest suite first"
  log "warning: no manifests found; running the self-test only"
  printf '{"files":0,"found":0,"objects":0,"duplicates":0}\n' >"$work/summary.json"
  mkdir -p "$work/set"; : >"$work/set/objects.tsv"; : >"$work/set/namespaces.txt"
else
  (cd "$REPO_ROOT" && node "$CLUSTER_SCRIPTS_DIR/manifests.mjs" "$work/set" --chunk "${APPLY_CHUNK:-50}" "${files[@]}") >"$work/summary.json"
fi
total_objects="$(sed -n 's/.*"objects":\([0-9]*\).*/\1/p' "$work/summary.json")"
log "objects: $(cat "$work/summary.json")"
if [ "$total_objects" = 0 ] && is_ci && [ ${#files[@]} -gt 0 ]; then
  die "the manifests contain no objects"
fi

# --- kubectl ------------------------------------------------------------------------------
# kubectl_for X.Y.Z: the kubectl of the same minor if installed beside kubectl as kubectl.X.Y,
# else the newest such versioned kubectl, else kubectl itself.
kubectl_for() {
  if [ -n "${KUBECTL:-}" ]; then echo "$KUBECTL"; return; fi
  local minor k d newest
  minor="$(echo "$1" | cut -d. -f1,2)"
  k="$(command -v kubectl)"
  d="$(dirname "$(readlink -f "$k")")"
  if [ -x "$d/kubectl.$minor" ]; then echo "$d/kubectl.$minor"; return; fi
  newest="$(find "$d" -maxdepth 1 -name 'kubectl.[0-9]*.[0-9]*' -printf '%f\n' 2>/dev/null | grep -E '^kubectl\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1 || true)"
  if [ -n "$newest" ]; then echo "$d/$newest"; else echo "$k"; fi
}

# k ARGS...: kubectl against the current test cluster; its discovery cache lives and dies with
# the cluster instead of piling up under ~/.kube/cache (every cluster has a new port).
k() { "$KUBECTL_BIN" --kubeconfig "$KUBECONFIG" --cache-dir "$cluster_dir/kubectl-cache" "$@"; }

# kapply FILE OUT ERR: the one apply path used for the self-test and for the project's objects.
# Server-side apply: the same request GitOps tools send; the server decodes the object against
# its schema (an unknown or duplicated field is an error with --validate=strict, which sends
# fieldValidation=Strict), checks list-map keys (duplicate container/port/env names), validates
# and runs admission, and persists nothing (--dry-run=server).
kapply() {
  k apply --server-side --dry-run=server --validate=strict \
    --field-manager=cdk8s-patterns-test -f "$1" >"$2" 2>"$3"
}

# check FILE EXPECTED: apply FILE; succeed only if kubectl exits 0, every one of the EXPECTED
# objects is reported as applied, and the server sent no warning. Leaves output in $work/last.*
check() {
  local rc=0 applied warnings
  kapply "$1" "$work/last.out" "$work/last.err" || rc=$?
  applied="$(grep -c '(server dry run)$' "$work/last.out" || true)"
  warnings="$(grep -c '^Warning:' "$work/last.err" || true)"
  [ "$rc" = 0 ] && [ "$warnings" = 0 ] && [ "$applied" = "$2" ]
}

indent() { sed 's/^/      /'; }

# install_crds FILE...: create the CustomResourceDefinitions in FILEs for real and wait until
# every CRD is Established (its kinds are served), within CRD_TIMEOUT (default 60s).
install_crds() {
  local f t0
  t0="$(now_ms)"
  for f in "$@"; do
    k apply --server-side --field-manager=cdk8s-patterns-test -f "$f" >"$work/crd.out" 2>&1 ||
      { cat "$work/crd.out" >&2; die "could not install the CRDs of ${f#"$REPO_ROOT"/}"; }
  done
  k wait --for condition=established --timeout="${CRD_TIMEOUT:-60}s" customresourcedefinitions --all >"$work/crd.out" 2>&1 ||
    { cat "$work/crd.out" >&2; die "CRDs not Established within ${CRD_TIMEOUT:-60}s"; }
  log "$(k get customresourcedefinitions --no-headers 2>/dev/null | wc -l | tr -d ' ') CRDs from $# files Established in $(( $(now_ms) - t0 ))ms"
}

# pod_security_level NAMESPACE: the Pod Security level the suite enforces in NAMESPACE:
# "restricted" unless scripts/cluster/pod-security-exceptions names the namespace (lines
# "<namespace> <level> <reason>"; # starts a comment).
pod_security_level() {
  local file="$CLUSTER_SCRIPTS_DIR/pod-security-exceptions" ns level _
  if [ -f "$file" ]; then
    while read -r ns level _; do
      case "$ns" in '' | '#'*) continue ;; esac
      if [ "$ns" = "$1" ]; then echo "$level"; return; fi
    done <"$file"
  fi
  echo restricted
}

# --- self-test: the apply path must be able to fail ---------------------------------------
selftest_failures=0
selftest() {
  local name="$1" file="$CLUSTER_SCRIPTS_DIR/selftest/$1" what="$2"; shift 2
  if check "$file" 1; then
    log "SELF-TEST FAILED: $name was accepted without warnings; the suite cannot detect $what"
    selftest_failures=$(( selftest_failures + 1 )); return
  fi
  local expected
  for expected in "$@"; do
    if ! grep -qF -- "$expected" "$work/last.err"; then
      log "SELF-TEST FAILED: $name failed, but the server's message does not mention '$expected':"
      cat "$work/last.err" "$work/last.out" | indent >&2
      selftest_failures=$(( selftest_failures + 1 )); return
    fi
  done
  log "self-test ok: $name ($what) failed as expected; server said:"
  indent <"$work/last.err" >&2
}

# --- per version --------------------------------------------------------------------------
passed=0
failed=0
status=0
for spec in $specs; do
  version="$(strip_v "$spec")"
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || version="$(resolve_k8s_version "$version")"
  KUBECTL_BIN="$(kubectl_for "$version")"
  [ -x "$KUBECTL_BIN" ] || die "kubectl not executable: $KUBECTL_BIN"
  client="$("$KUBECTL_BIN" version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n 1)"
  log "=== Kubernetes v$version (kubectl ${client:-unknown}: $KUBECTL_BIN)"
  t0="$(now_ms)"
  cluster_dir="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-patterns-cluster.XXXXXX")"
  "$CLUSTER_SCRIPTS_DIR/start-cluster.sh" "$version" "$cluster_dir" >/dev/null
  # shellcheck disable=SC1091
  . "$cluster_dir/env"
  export KUBECONFIG
  t1="$(now_ms)"

  # CRDs first (for real), so that custom resources are validated by the server like every other
  # object: the self-test CRD, then every pinned CRD file in scripts/cluster/crds/.
  crd_files=("$CLUSTER_SCRIPTS_DIR"/selftest/crds/*.yaml)
  if [ -d "$CLUSTER_SCRIPTS_DIR/crds" ]; then
    while IFS= read -r f; do crd_files+=("$f"); done < <(find "$CLUSTER_SCRIPTS_DIR/crds" -type f \( -name '*.yaml' -o -name '*.yml' \) | LC_ALL=C sort)
  fi
  install_crds "${crd_files[@]}"

  # Namespaces and their default ServiceAccount (normally made by kube-controller-manager), each
  # labelled for Pod Security admission: "restricted" is enforced (a bare Pod that breaks it is
  # rejected) and warned about (Deployments, StatefulSets, Jobs and CronJobs whose pod template
  # breaks it get a warning, which fails the run like any warning). A namespace listed in
  # pod-security-exceptions gets the level given there instead.
  for ns in default $(cat "$work/set/namespaces.txt"); do
    k get namespace "$ns" >/dev/null 2>&1 || k create namespace "$ns" >/dev/null
    k -n "$ns" get serviceaccount default >/dev/null 2>&1 || k -n "$ns" create serviceaccount default >/dev/null
    level="$(pod_security_level "$ns")"
    k label namespace "$ns" --overwrite >/dev/null \
      "pod-security.kubernetes.io/enforce=$level" "pod-security.kubernetes.io/warn=$level"
  done
  # ServiceAccounts of the set exist for real, as after a real apply of the whole set, so that
  # bare Pods naming them pass the ServiceAccount admission plugin. A ServiceAccount that cannot
  # be created is reported by the dry run below.
  awk -F'\t' '$3 == "ServiceAccount" && $4 == "v1" { print $2 }' "$work/set/objects.tsv" |
    while IFS= read -r objfile; do k apply --server-side --field-manager=cdk8s-patterns-test -f "$objfile" >/dev/null 2>&1 || true; done

  selftest_failures=0
  selftest rejected.yaml "unknown fields" imagee
  selftest invalid-name.yaml "invalid objects" Bad_Name
  selftest warning.yaml "server warnings" "Warning:"
  selftest crd-rejected.yaml "unknown fields in custom resources" colour
  selftest crd-invalid.yaml "custom resources the CRD schema refuses" spec.size
  if check "$CLUSTER_SCRIPTS_DIR/selftest/crd-accepted.yaml" 1; then
    log "self-test ok: crd-accepted.yaml (a valid custom resource) applied without a warning"
  else
    log "SELF-TEST FAILED: crd-accepted.yaml, a valid custom resource of the self-test CRD, did not apply cleanly:"
    cat "$work/last.err" "$work/last.out" | indent >&2
    selftest_failures=$(( selftest_failures + 1 ))
  fi
  selftest pod-security-pod.yaml "Pod Security enforcement" 'violates PodSecurity "restricted'
  selftest pod-security-template.yaml "Pod Security warnings for pod templates" 'would violate PodSecurity "restricted'
  if [ "$selftest_failures" -gt 0 ]; then
    failed=$(( failed + selftest_failures )); status=1
  else
    passed=$(( passed + 8 ))
  fi

  ok=0; bad=0
  for batch in $(cut -f1 "$work/set/objects.tsv" | uniq); do
    n="$(awk -F'\t' -v b="$batch" '$1 == b' "$work/set/objects.tsv" | wc -l | tr -d ' ')"
    if check "$batch" "$n"; then ok=$(( ok + n )); continue; fi
    # Pinpoint: apply the batch's objects one by one.
    cp "$work/last.err" "$work/batch.err"
    bad_before="$bad"
    while IFS=$'\t' read -r _ objfile kind apiversion ns name source; do
      if check "$objfile" 1; then ok=$(( ok + 1 )); continue; fi
      bad=$(( bad + 1 ))
      if [ "$ns" = - ]; then where="no namespace"; else where="namespace $ns"; fi
      echo "FAIL v$version: $kind $name ($apiversion, $where) from $source:" >&2
      indent <"$work/last.err" >&2
    done < <(awk -F'\t' -v b="$batch" '$1 == b' "$work/set/objects.tsv")
    if [ "$bad" = "$bad_before" ]; then
      log "note: batch $(basename "$batch") failed as a whole but each of its objects passed; kubectl said:"
      head -n 5 "$work/batch.err" | indent >&2
    fi
  done
  passed=$(( passed + ok )); failed=$(( failed + bad ))
  [ "$bad" = 0 ] || status=1

  "$CLUSTER_SCRIPTS_DIR/stop-cluster.sh" "$cluster_dir"; cluster_dir=""
  log "Kubernetes v$version: $ok of $total_objects objects validated, $bad rejected or warned" \
    "(cluster start $(( (t1 - t0) / 1000 ))s, total $(( ($(now_ms) - t0) / 1000 ))s)"
done

echo "cluster: $passed passed, $failed failed"
exit "$status"
