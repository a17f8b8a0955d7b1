#!/usr/bin/env bash
# Installs the real components the test suites run: shells for the batch wrapper (dash,
# busybox), shellcheck, PostgreSQL 15 with pgBouncer and pgBackRest for the Postgres suite,
# and etcd + openssl for the API-server suite. Idempotent: skips apt when all are present.
# Usage: scripts/install-test-deps.sh [PACKAGE...]   (other packages instead of the default list)
set -euo pipefail

packages=(dash busybox-static shellcheck postgresql-15 postgresql-client-15 pgbouncer pgbackrest etcd-server openssl procps)
if [ $# -gt 0 ]; then packages=("$@"); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: all packages present"
  exit 0
fi

echo "install-test-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# the postgresql package would create and start a default cluster; tests start their own
$SUDO mkdir -p /etc/postgresql-common
echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-deps: done"
