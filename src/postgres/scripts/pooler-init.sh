#!/bin/sh
# Init container of the pgBouncer pods: writes the runtime configuration into a private
# directory: pgbouncer.ini (with @POOLER_RUNTIME_DIR@ replaced) and userlist.txt holding only the
# auth role and its password, read from the mounted Secret file.
#
# Environment:
#   POOLER_CONFIG_DIR          directory holding pgbouncer.ini                 /etc/pgbouncer
#   POOLER_RUNTIME_DIR         where the runtime files are written             /etc/pgbouncer/run
#   POOLER_AUTH_USER           the auth_user                                   pgbouncer_auth
#   POOLER_CREDENTIALS_FILE       its password                                    required
set -eu

POOLER_CONFIG_DIR=${POOLER_CONFIG_DIR:-/etc/pgbouncer}
POOLER_RUNTIME_DIR=${POOLER_RUNTIME_DIR:-/etc/pgbouncer/run}
POOLER_AUTH_USER=${POOLER_AUTH_USER:-pgbouncer_auth}
: "${POOLER_CREDENTIALS_FILE:?POOLER_CREDENTIALS_FILE must be set}"

umask 077
mkdir -p "$POOLER_RUNTIME_DIR"
# userlist.txt: "name" "password", with double quotes inside doubled
password=$(head -n 1 "$POOLER_CREDENTIALS_FILE" | sed 's/"/""/g')
printf '"%s" "%s"\n' "$POOLER_AUTH_USER" "$password" >"$POOLER_RUNTIME_DIR/userlist.txt"
sed "s|@POOLER_RUNTIME_DIR@|$POOLER_RUNTIME_DIR|g" "$POOLER_CONFIG_DIR/pgbouncer.ini" >"$POOLER_RUNTIME_DIR/pgbouncer.ini"
chmod 0600 "$POOLER_RUNTIME_DIR/userlist.txt" "$POOLER_RUNTIME_DIR/pgbouncer.ini"
echo "pooler-init: wrote $POOLER_RUNTIME_DIR/pgbouncer.ini and userlist.txt" >&2
